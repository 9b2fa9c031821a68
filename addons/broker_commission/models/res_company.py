from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    broker_commission_rate = fields.Float(
        string="Partner Commission, %",
        digits=(5, 2),
        default=2.5,
        help="Share of the issued credit paid to the referral partner once the client has paid "
        "the broker's invoice and the signed act is back.",
    )
    broker_fee_product_id = fields.Many2one(
        "product.product", string="Broker Fee Service", help="Service invoiced to the client for the broker's work."
    )
    broker_commission_product_id = fields.Many2one(
        "product.product", string="Partner Commission Service", help="Service billed by referral partners."
    )
    broker_commission_auto_bill = fields.Boolean(
        string="Bill Commissions Automatically",
        default=True,
        help="Create the partner's bill as soon as a commission is due. Otherwise accountants "
        "bill due commissions per partner and period.",
    )
    broker_ndfl_account_id = fields.Many2one(
        "account.account",
        string="Withheld Income Tax Account",
        domain="[('account_type', '=', 'liability_current')]",
        help="Liability account for the personal income tax withheld from individual partners' commissions "
        "until it is paid to the budget (NK RF art. 226).",
    )
    broker_ndfl_tax_id = fields.Many2one(
        "account.tax",
        string="Income Tax Withheld, 13%",
        help="Withholding tax on partner bills of individuals, up to the yearly threshold (NK RF art. 224 p. 1).",
    )
    broker_ndfl_tax_high_id = fields.Many2one(
        "account.tax",
        string="Income Tax Withheld, 15%",
        help="Withholding tax on the part of an individual's yearly income from the broker above the threshold "
        "(NK RF art. 224 p. 1).",
    )

    def write(self, vals):
        res = super().write(vals)
        if vals.get("broker_ndfl_account_id"):
            # the withholding taxes book to the account chosen in the settings
            for company in self:
                # sudo: only the account of the companies' own withholding taxes follows the setting
                taxes = company.broker_ndfl_tax_id | company.broker_ndfl_tax_high_id
                taxes.sudo().repartition_line_ids.filtered(lambda line: line.repartition_type == "tax").write(
                    {"account_id": company.broker_ndfl_account_id.id}
                )
        return res

    def _broker_ndfl_taxes(self):
        """(13% tax, 15% tax) withholding personal income tax, created with their liability account
        when the company has none yet (idempotent)."""
        self.ensure_one()
        # sudo: the accounting set-up of the tax agent, created once when it is first needed
        company = self.sudo()
        if company.broker_ndfl_tax_id and company.broker_ndfl_tax_high_id:
            return company.broker_ndfl_tax_id, company.broker_ndfl_tax_high_id
        account = company.broker_ndfl_account_id or company._broker_create_ndfl_account()
        group = company._broker_ndfl_tax_group()
        vals = {}
        for fname, rate in (("broker_ndfl_tax_id", 13), ("broker_ndfl_tax_high_id", 15)):
            if company[fname]:
                continue
            vals[fname] = company._broker_create_ndfl_tax(rate, account, group).id
        vals["broker_ndfl_account_id"] = account.id
        company.write(vals)
        return company.broker_ndfl_tax_id, company.broker_ndfl_tax_high_id

    def _broker_create_ndfl_account(self):
        Account = self.env["account.account"].with_company(self)
        code = 252100
        while Account.search_count([("code", "=", str(code)), *Account._check_company_domain(self)], limit=1):
            code += 1
        account = Account.create(
            {
                "name": "Personal income tax withheld (NDFL)",
                "code": str(code),
                "account_type": "liability_current",
                "company_ids": [(6, 0, self.ids)],
            }
        )
        if self._broker_has_russian():
            account.with_context(lang="ru_RU").name = "НДФЛ, удержанный у партнёров"
        return account

    def _broker_has_russian(self):
        return "ru_RU" in dict(self.env["res.lang"].get_installed())

    def _broker_ndfl_tax_group(self):
        Group = self.env["account.tax.group"]
        group = Group.search([("company_id", "=", self.id), ("name", "=", "NDFL")], limit=1)
        return group or Group.create({"name": "NDFL", "company_id": self.id})

    def _broker_create_ndfl_tax(self, rate, account, group):
        def lines(document_type):
            return [
                (0, 0, {"document_type": document_type, "repartition_type": "base"}),
                (0, 0, {"document_type": document_type, "repartition_type": "tax", "account_id": account.id}),
            ]

        name = f"NDFL {rate}% withheld"
        existing = self.env["account.tax"].search(
            [
                ("company_id", "=", self.id),
                ("name", "=", name),
                ("type_tax_use", "=", "purchase"),
                ("broker_ndfl", "=", True),
            ],
            limit=1,
        )
        if existing:
            return existing
        tax = self.env["account.tax"].create(
            {
                "name": name,
                "description": f"-{rate}% NDFL",
                "company_id": self.id,
                "type_tax_use": "purchase",
                "amount_type": "percent",
                "amount": -rate,
                "broker_ndfl": True,
                "tax_group_id": group.id,
                "invoice_repartition_line_ids": lines("invoice"),
                "refund_repartition_line_ids": lines("refund"),
            }
        )
        if self._broker_has_russian():
            tax.with_context(lang="ru_RU").name = f"НДФЛ {rate}% удержан"
        return tax

    @api.model
    def _broker_ndfl_setup_all(self):
        """At install: the withholding set-up of every company that keeps its books already."""
        for company in self.search([("chart_template", "!=", False)]):
            company._broker_ndfl_taxes()
