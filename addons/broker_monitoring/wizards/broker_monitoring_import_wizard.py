import base64
import csv
import io
import re
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.broker_crm.models.broker_consent import CREDIT_HISTORY_MONTHS, DOCUMENT_METHODS
from odoo.addons.broker_crm.tools.requisites import is_valid_inn

from ..models.broker_monitoring_subscription import REASONS

# Accepted column titles (English or Russian) -> field.
COLUMNS = {
    "name": "name",
    "фио": "name",
    "phone": "phone",
    "телефон": "phone",
    "birth_date": "birth_date",
    "дата рождения": "birth_date",
    "passport_series": "passport_series",
    "серия паспорта": "passport_series",
    "passport_number": "passport_number",
    "номер паспорта": "passport_number",
    "inn": "inn",
    "инн": "inn",
    "consent_ref": "consent_ref",
    "согласие": "consent_ref",
    "consent_date": "consent_date",
    "дата согласия": "consent_date",
}
MIN_AGE = 18


def inn_is_valid(inn):
    """A person's INN: 12 digits with correct check digits."""
    return len(inn) == 12 and is_valid_inn(inn)


def parse_date(value):
    """ISO or Russian day.month.year; None when neither."""
    fmt = "%d.%m.%Y" if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value or "") else "%Y-%m-%d"
    try:
        return datetime.strptime(value, fmt).date()
    except ValueError:
        return None


class BrokerMonitoringImportWizard(models.TransientModel):
    _name = "broker.monitoring.import.wizard"
    _description = "Mass Monitoring Import"

    file = fields.Binary(string="CSV File", required=True)
    filename = fields.Char()
    reason = fields.Selection(REASONS, required=True, default="win_back")
    date_start = fields.Date(string="Start", required=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, required=True)
    state = fields.Selection([("draft", "Draft"), ("validated", "Validated")], default="draft")
    valid_count = fields.Integer(string="Valid Rows", readonly=True)
    error_count = fields.Integer(string="Rejected Rows", readonly=True)
    report = fields.Text(string="Validation Report", readonly=True)
    # 218-FZ art. 6: a row is imported only with the person's consent to request the credit history,
    # referenced in the row (consent_ref, consent_date) or given for the whole batch
    consent_method = fields.Selection(
        [
            ("paper", "Signed paper (scan)"),
            ("edo", "EDO"),
            ("esign", "E-signature on the portal"),
            ("sms", "SMS code"),
            ("email_link", "Confirmation link by e-mail"),
        ],
        string="Consents Given By",
        required=True,
        default="paper",
    )
    consent_document = fields.Binary(
        string="Signed Consents",
        help="The signed consents of the persons in the file (a scan or the EDO package): paper and EDO "
        "consents need it.",
    )
    consent_document_name = fields.Char()
    consent_date = fields.Date(
        string="Batch Consent Date", help="Set with the document and the purpose when it covers every row."
    )
    consent_purpose = fields.Text(default=lambda self: self.env._("Credit history request and bureau monitoring"))

    @api.onchange("file", "date_start", "consent_method", "consent_document", "consent_date")
    def _onchange_file(self):
        self.state = "draft"

    def _read_rows(self):
        """CSV -> list of (line number, {field: value}); a broken file is refused as a whole."""
        try:
            text = base64.b64decode(self.file or b"").decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(self.env._("The file is not a UTF-8 CSV file.")) from exc
        if not text.strip():
            raise UserError(self.env._("The file is empty."))
        first_line = text.splitlines()[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = [COLUMNS.get(title.strip().lower()) for title in next(reader)]
        missing = {"name", "birth_date"} - set(header)
        if missing or not ({"inn", "passport_number"} & set(header)):
            raise UserError(
                self.env._(
                    "The file needs the columns name, birth_date and inn or passport_series/passport_number "
                    "(phone is optional)."
                )
            )
        rows = []
        for line_no, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            rows.append((line_no, {key: value.strip() for key, value in zip(header, values, strict=False) if key}))
        return rows

    def _batch_consent(self):
        """True when a consent is declared for every row; a half-filled declaration is refused."""
        declared = [bool(self.consent_document), bool(self.consent_date)]
        if any(declared) and not all(declared + [bool(self.consent_purpose)]):
            raise UserError(self.env._("A batch consent needs the signed document, its date and the purpose."))
        if all(declared) and not self._consent_covers_start(self.consent_date):
            raise UserError(
                self.env._(
                    "The batch consent of %(date)s does not cover the start of monitoring: a credit history "
                    "consent is valid %(months)s months (218-FZ art. 6).",
                    date=self.consent_date,
                    months=CREDIT_HISTORY_MONTHS,
                )
            )
        return all(declared)

    def _consent_covers_start(self, given):
        today = fields.Date.context_today(self)
        return given <= min(today, self.date_start) and self.date_start <= given + relativedelta(
            months=CREDIT_HISTORY_MONTHS
        )

    def _row_consent(self, row, batch):
        """Row -> (consent values, problem): the row's own consent first, else the batch one."""
        ref, raw_date = row.get("consent_ref", ""), row.get("consent_date", "")
        if not (ref or raw_date):
            if batch:
                return {"date_given": self.consent_date, "ref": False}, None
            return None, self.env._(
                "no consent to request the credit history (218-FZ art. 6): fill consent_ref and consent_date "
                "or declare a batch consent"
            )
        given = parse_date(raw_date)
        if not ref or not given:
            return None, self.env._("the consent needs its document reference and a valid date")
        if not self._consent_covers_start(given):
            return None, self.env._("the consent of %(date)s does not cover the start of monitoring", date=raw_date)
        if self.consent_method in DOCUMENT_METHODS and not self.consent_document:
            return None, self.env._("a paper or EDO consent needs the signed document attached to the import")
        return {"date_given": given, "ref": ref}, None

    def _validate(self):
        """Rows -> (valid subscription data, error lines)."""
        today = fields.Date.context_today(self)
        batch = self._batch_consent()
        watched = set(
            self.env["broker.monitoring.subscription"].search([("state", "=", "active")]).mapped("subject_ref")
        )
        valid, errors, seen = [], [], set()
        for line_no, row in self._read_rows():
            problems = []
            name = row.get("name", "")
            if not name:
                problems.append(self.env._("no name"))
            birth = parse_date(row.get("birth_date", ""))
            if not birth:
                problems.append(self.env._("invalid birth date %(value)r", value=row.get("birth_date", "")))
            elif not date(1900, 1, 1) < birth <= today - relativedelta(years=MIN_AGE):
                problems.append(self.env._("the client must be at least %(age)s years old", age=MIN_AGE))
            inn = re.sub(r"\s", "", row.get("inn", ""))
            series = re.sub(r"\s", "", row.get("passport_series", ""))
            number = re.sub(r"\s", "", row.get("passport_number", ""))
            if inn and not inn_is_valid(inn):
                problems.append(self.env._("invalid INN %(value)r", value=inn))
            if series or number:
                if not (re.fullmatch(r"\d{4}", series) and re.fullmatch(r"\d{6}", number)):
                    problems.append(self.env._("the passport needs a 4-digit series and a 6-digit number"))
            elif not inn:
                problems.append(self.env._("an INN or a passport is required"))
            phone = re.sub(r"\D", "", row.get("phone", ""))
            if phone:
                if len(phone) == 10:
                    phone = "7" + phone
                if len(phone) != 11 or phone[0] not in "78":
                    problems.append(self.env._("invalid phone %(value)r", value=row.get("phone")))
                phone = "+7" + phone[1:]
            consent, problem = self._row_consent(row, batch)
            if problem:
                problems.append(problem)
            subject = inn or f"{series}{number}"
            if not problems and subject in seen:
                problems.append(self.env._("the same person appears earlier in the file"))
            elif not problems and subject in watched:
                problems.append(self.env._("already on monitoring"))
            if problems:
                errors.append(self.env._("Line %(line)s: %(problems)s", line=line_no, problems="; ".join(problems)))
                continue
            seen.add(subject)
            valid.append(
                {"name": name, "phone": phone, "birth_date": birth, "inn": inn,
                 "passport_series": series, "passport_number": number, "consent": consent}
            )  # fmt: skip
        return valid, errors

    def action_validate(self):
        self.ensure_one()
        valid, errors = self._validate()
        report = "\n".join(errors) if errors else self.env._("All rows are valid.")
        self.write({"state": "validated", "valid_count": len(valid), "error_count": len(errors), "report": report})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_import(self):
        """Create the contacts and subscriptions of the valid rows in two batches."""
        self.ensure_one()
        valid, errors = self._validate()
        if not valid:
            raise UserError(self.env._("No valid row to import.\n%(report)s", report="\n".join(errors[:50])))
        partners = self.env["res.partner"].create(
            [{"name": row["name"], "phone": row["phone"] or False} for row in valid]
        )
        # the evidence of each person's consent comes first: the subscriptions need it
        purpose = self.consent_purpose or self.env._("Credit history request and bureau monitoring")
        self.env["broker.consent"].with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            [
                {
                    "partner_id": partner.id,
                    "kind": "credit_history",
                    "date_given": row["consent"]["date_given"],
                    "method": self.consent_method,
                    "document": self.consent_document,
                    "document_name": self.consent_document_name,
                    "purpose": purpose
                    + (
                        "\n" + self.env._("Consent document: %(ref)s", ref=row["consent"]["ref"])
                        if row["consent"]["ref"]
                        else ""
                    ),
                }
                for partner, row in zip(partners, valid, strict=True)
            ]
        )
        # a mass base is thousands of rows: no creation message nor follower per record
        Subscription = self.env["broker.monitoring.subscription"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        )
        subscriptions = Subscription.create(
            [
                {
                    "partner_id": partner.id,
                    "reason": self.reason,
                    "date_start": self.date_start,
                    "user_id": self.user_id.id,
                    "source": "import",
                    "birth_date": row["birth_date"],
                    "inn": row["inn"] or False,
                    "passport_series": row["passport_series"] or False,
                    "passport_number": row["passport_number"] or False,
                }
                for partner, row in zip(partners, valid, strict=True)
            ]
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "broker_monitoring.broker_monitoring_subscription_action"
        )
        action.update(domain=[("id", "in", subscriptions.ids)], context={})
        return action
