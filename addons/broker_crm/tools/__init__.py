from . import requisites
