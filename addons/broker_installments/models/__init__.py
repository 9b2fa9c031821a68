from . import broker_installment_provider
