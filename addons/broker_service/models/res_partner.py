from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # personal data of the client, for the staff who talk to clients (not accountants nor portal users)
    broker_personal_notes = fields.Text(
        string="Personal Notes",
        groups="sales_team.group_sale_salesman",
        help="Individual preferences of the client: what they like or dislike, how best to talk to them.",
    )
    broker_consultation_ids = fields.One2many(
        "broker.consultation", "partner_id", string="Consultations", groups="sales_team.group_sale_salesman"
    )

    def _broker_erase_extra_data(self):
        """Erasure after a withdrawn consent also removes the service notes about the client."""
        categories = super()._broker_erase_extra_data()
        # sudo: erasure reaches every note about the client, whoever triggered it (logged by broker_crm)
        partners = self.sudo()
        with_notes = partners.filtered("broker_personal_notes")
        if with_notes:
            with_notes.broker_personal_notes = False
            categories.append(self.env._("personal notes"))
        erased = self.env._("(erased)")
        consultations = (
            self.env["broker.consultation"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", self.ids)])
        )
        if consultations:
            consultations.write({"summary": erased, "outcome": erased})
            categories.append(self.env._("consultation notes"))
        voices = (
            self.env["broker.client.voice"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", self.ids)])
        )
        if voices:
            voices.write({"text": erased})
            categories.append(self.env._("voice of the client records"))
        return categories
