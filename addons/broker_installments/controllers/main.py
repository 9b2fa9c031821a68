from odoo import SUPERUSER_ID, http
from odoo.http import request


class InstallmentWebhookController(http.Controller):
    @http.route(
        "/broker_installments/webhook/<string:provider_code>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def installment_webhook(self, provider_code, **_kwargs):
        # Superuser is safe here: the call is authenticated by the provider's secret inside
        # _process_webhook, which writes nothing but the call log before that check passes.
        env = request.env(user=SUPERUSER_ID)
        httprequest = request.httprequest
        status, response = env["broker.installment.event"]._process_webhook(
            provider_code, httprequest.get_data(), httprequest.headers, httprequest.remote_addr
        )
        return request.make_json_response(response, status=status)
