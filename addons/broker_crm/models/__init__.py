from . import broker_credit_product
