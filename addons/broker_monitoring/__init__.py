from . import connectors
from . import models
from . import wizards
