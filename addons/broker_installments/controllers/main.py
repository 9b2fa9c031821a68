from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..models.broker_installment_event import MAX_BODY


class InstallmentWebhookController(http.Controller):
    @http.route(
        "/broker_installments/webhook/<string:provider_code>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # a larger declared body is refused before it is read (413, see ir.http)
        max_content_length=MAX_BODY,
    )
    def installment_webhook(self, provider_code, **_kwargs):
        # Superuser is safe here: the call is authenticated by the provider's secret inside
        # _process_webhook, which writes nothing before that check passed.
        Event = request.env(user=SUPERUSER_ID)["broker.installment.event"]
        httprequest = request.httprequest
        # the body is read only when its announced length is within the limit (a chunked body announces none)
        length = httprequest.content_length
        if length is None:
            status, response = Event._refuse(provider_code, httprequest.remote_addr, 411, "Content-Length required")
        elif length > MAX_BODY:
            status, response = Event._refuse(
                provider_code, httprequest.remote_addr, 413, f"body larger than {MAX_BODY} bytes"
            )
        else:
            status, response = Event._process_webhook(
                provider_code, httprequest.get_data(), httprequest.headers, httprequest.remote_addr
            )
        return request.make_json_response(response, status=status)
