"""The provider pages' forms: plain text, checked by providers.services, which names the
field at fault."""
from community.web.forms import text_form

RegisterForm = text_form("RegisterForm", "community", "name", "field", "licence_no", "contact",
                         doc="A community office registers a provider.")
OptionsForm = text_form("OptionsForm", "accounts_enabled", "active")
CommendForm = text_form("CommendForm", "note")
AccountForm = text_form("AccountForm", "username", "name", "password",
                        doc="The office opens an account for the provider.")
NameProviderForm = text_form("NameProviderForm", "provider", "route",
                             doc="The staff request page's 涉及的服务商: which, and whether it answers.")
ProviderAnswerForm = text_form("ProviderAnswerForm", "text")
