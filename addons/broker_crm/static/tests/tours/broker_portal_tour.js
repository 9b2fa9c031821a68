import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("broker_portal_submit_tour", {
    url: "/my/deals/new",
    steps: () => [
        {
            content: "Company name",
            trigger: "form.o_broker_deal_new_form input[name='partner_name']",
            run: "edit Tour Client LLC",
        },
        {
            content: "Contact name",
            trigger: "input[name='contact_name']",
            run: "edit Tour Contact",
        },
        {
            content: "Phone",
            trigger: "input[name='phone']",
            run: "edit +7 900 555-11-22",
        },
        {
            content: "Credit product",
            trigger: "select[name='credit_product_id']",
            run: "selectByLabel Tour product",
        },
        {
            content: "Requested amount",
            trigger: "input[name='amount_requested']",
            run: "edit 2500000",
        },
        {
            content: "Client's e-mail",
            trigger: "input[name='email_from']",
            run: "edit tour.client@example.com",
        },
        {
            content: "The client confirms the consent by a link sent by e-mail",
            trigger: "input[name='consent_mode'][value='email']",
            run: "check",
        },
        {
            content: "Submit",
            trigger: "button.o_broker_submit",
            run: "click",
        },
        {
            content: "The new deal page is shown",
            trigger: ".o_broker_portal_deal_page h3:contains('Tour Client LLC')",
        },
        {
            content: "The messages shared with the broker team are shown",
            trigger: ".o_broker_partner_messages textarea[name='body']",
        },
    ],
});
