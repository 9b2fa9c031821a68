from werkzeug.exceptions import RequestEntityTooLarge

from odoo import models
from odoo.http import request

from .broker_installment_event import MAX_BODY

WEBHOOK_PATH = "/broker_installments/webhook/"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        # the status endpoint answers in JSON, also when its route refused the body as too large
        if isinstance(exception, RequestEntityTooLarge) and request.httprequest.path.startswith(WEBHOOK_PATH):
            status, response = request.env["broker.installment.event"]._refuse(
                request.httprequest.path[len(WEBHOOK_PATH) :],
                request.httprequest.remote_addr,
                413,
                f"body larger than {MAX_BODY} bytes",
            )
            return request.make_json_response(response, status=status)
        return super()._handle_error(exception)
