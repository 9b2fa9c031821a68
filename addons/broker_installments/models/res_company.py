from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    installment_payment_url = fields.Char(
        string="Payment Options Link", help="Page listing the payment options, given in the follow-up letters."
    )
    installment_reviews_url = fields.Char(
        string="Reviews Link",
        help="Page with the cases and reviews of customers who bought in installments (letter 1).",
    )
    installment_contacts = fields.Char(
        string="Contacts for Letters",
        help="How customers reach you besides replying to the letter, e.g. phone, messenger, e-mail. "
        "Empty: the company's phone and e-mail.",
    )
    installment_letter_contacts = fields.Char(compute="_compute_installment_letter_contacts")

    @api.depends("installment_contacts", "phone", "email")
    def _compute_installment_letter_contacts(self):
        for company in self:
            company.installment_letter_contacts = company.installment_contacts or ", ".join(
                filter(None, [company.phone, company.email])
            )
