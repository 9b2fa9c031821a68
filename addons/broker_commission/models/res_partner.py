from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.broker_crm.tools.requisites import is_valid_inn

from ..tools.npd_status import DEFAULT_TIMEOUT, DEFAULT_URL, NpdStatusUnavailable, check_npd_status

RATE_GROUPS = "broker_crm.group_broker_manager,broker_crm.group_broker_accountant"
TAX_STATUSES = [
    ("company", "Company"),
    ("sole_trader", "Sole trader (IP)"),
    ("self_employed", "Self-employed (NPD)"),
    ("individual", "Individual"),
]
CONTRACT_TYPES = [
    ("agency", "Agency contract"),
    ("service", "Service contract"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    broker_commission_custom = fields.Boolean(string="Own Commission Rate", groups=RATE_GROUPS, tracking=True)
    broker_commission_rate = fields.Float(
        string="Commission, %", digits=(5, 2), groups=RATE_GROUPS, tracking=True,
        help="Used instead of the company's rate when 'Own Commission Rate' is set.",
    )  # fmt: skip
    broker_tax_status = fields.Selection(
        TAX_STATUSES,
        string="Tax Status",
        groups=RATE_GROUPS,
        tracking=True,
        help="How the partner is paid. Company and sole trader: a vendor bill for the full commission. "
        "Self-employed (422-FZ): no withholding, the partner issues a «Мой налог» receipt for each payment. "
        "Individual: the broker is the tax agent and withholds personal income tax (NK RF art. 224, 226).",
    )
    broker_contract_type = fields.Selection(
        CONTRACT_TYPES,
        string="Partner Contract",
        groups=RATE_GROUPS,
        tracking=True,
        help="The contract the partner works under. A self-employed person cannot act under an agency "
        "contract (422-FZ art. 6 p. 2 subp. 8).",
    )
    broker_contract_number = fields.Char(string="Partner Contract No.", groups=RATE_GROUPS, tracking=True)
    broker_contract_date = fields.Date(string="Partner Contract Date", groups=RATE_GROUPS, tracking=True)
    broker_tax_status_checked_on = fields.Date(
        string="Tax Status Checked On",
        groups=RATE_GROUPS,
        tracking=True,
        help="When the tax status was last checked (for the self-employed: the tax service's check by INN).",
    )

    broker_npd_valid = fields.Boolean(
        string="Self-Employed Status Confirmed",
        groups=RATE_GROUPS,
        readonly=True,
        tracking=True,
        help="The tax service confirmed the self-employed status at the last check (422-FZ art. 4).",
    )

    def _broker_commission_rate(self):
        """The commission rate of the partner's company (contacts share their company's rate)."""
        self.ensure_one()
        # sudo: the rate is restricted to managers and accountants, but commissions created
        # from an agent's action must still use it.
        entity = self.sudo().commercial_partner_id
        if entity.broker_commission_custom:
            return entity.broker_commission_rate
        return (self.env.company).broker_commission_rate

    @api.constrains("broker_tax_status", "broker_contract_type", "vat")
    def _check_broker_tax_status(self):
        # sudo: the constraint reads the restricted fields whoever writes the contact
        for partner in self.sudo().filtered("broker_tax_status"):
            inn = partner.vat or ""
            if not inn:
                raise ValidationError(
                    self.env._("Enter the INN of %(partner)s: it is required with a tax status.",
                               partner=partner.display_name)
                )  # fmt: skip
            length = 10 if partner.broker_tax_status == "company" else 12
            if len(inn) != length or not is_valid_inn(inn):
                raise ValidationError(
                    self.env._(
                        "INN %(inn)s of %(partner)s is not valid: a company's INN has 10 digits, a person's "
                        "(sole trader, self-employed, individual) 12, with correct check digits.",
                        inn=inn,
                        partner=partner.display_name,
                    )
                )
            if partner.broker_tax_status == "self_employed" and partner.broker_contract_type == "agency":
                raise ValidationError(
                    self.env._(
                        "%(partner)s is self-employed and cannot work under an agency contract (422-FZ art. 6 "
                        "p. 2 subp. 8): choose a service contract.",
                        partner=partner.display_name,
                    )
                )

    def _broker_payout_kind(self):
        """How the commissions of this partner are paid: "gross" (a bill for the full amount),
        "receipt" (self-employed: gross, a «Мой налог» receipt required) or "withholding" (individual)."""
        self.ensure_one()
        # sudo: billing reads the partner's tax status whoever triggers it (jobs, the act of an agent)
        status = self.sudo().commercial_partner_id.broker_tax_status
        return {"individual": "withholding", "self_employed": "receipt"}.get(status, "gross")

    def _broker_check_npd_status(self):
        """Ask the tax service whether these self-employed partners still are, and record the answer.

        Returns the partners who lost the status. Raises a UserError, writing nothing, when the service
        cannot be reached or gives no usable answer.
        """
        # sudo: the check is part of billing; the URL and timeout are set by administrators
        params = self.env["ir.config_parameter"].sudo()
        url = params.get_param("broker_commission.npd_status_url") or DEFAULT_URL
        try:
            timeout = float(params.get_param("broker_commission.npd_status_timeout") or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        today = fields.Date.context_today(self)
        # sudo: the INN (an accountants' field) is sent to the tax service, which is what the check is
        results = {partner: partner._broker_npd_answer(url, today, timeout) for partner in self.sudo()}
        confirmed = self.sudo().browse([partner.id for partner, valid in results.items() if valid])
        lost = self.sudo().browse([partner.id for partner, valid in results.items() if not valid])
        # sudo: the result of the check is recorded whoever bills (the fields are the accountants')
        confirmed.write({"broker_tax_status_checked_on": today, "broker_npd_valid": True})
        lost.write({"broker_tax_status_checked_on": today, "broker_npd_valid": False})
        return lost.with_env(self.env)

    def _broker_npd_answer(self, url, today, timeout):
        """The tax service's answer for this partner: whether self-employed today; UserError if none."""
        try:
            valid, _message = check_npd_status(url, self.vat, today, timeout=timeout)
        except NpdStatusUnavailable as error:
            raise UserError(
                self.env._(
                    "The tax service's check of the self-employed status did not answer for %(partner)s "
                    "(%(error)s). Nothing was billed: try again later, or check the address in Settings.",
                    partner=self.display_name,
                    error=str(error),
                )
            ) from error
        return valid

    def _broker_bill_as_individual(self):
        """The accountant confirms: a partner who lost the self-employed status is paid as an individual,
        with income tax withheld (NK RF art. 226)."""
        # sudo: the accountant's confirmation (the callers check the role) changes the partner's status only
        for partner in self.sudo():
            partner.write({"broker_tax_status": "individual"})
            partner.message_post(
                body=self.env._(
                    "No longer self-employed according to the tax service (checked on %(date)s): paid as an "
                    "individual with income tax withheld, confirmed by %(user)s.",
                    date=partner.broker_tax_status_checked_on,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
