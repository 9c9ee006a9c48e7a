"""The 楼门长 pages' forms: plain text, checked by tickets.submit_ticket and
buildings.services, which name the field at fault."""
from community.web.forms import text_form

FileForm = text_form("FileForm", "submit_token", "kind", "category", "text", "grid", "address",
                     "contact_name", "contact_phone", doc="代办: a building head files for a neighbour.")
AppointForm = text_form("AppointForm", "phone", "grid", "buildings",
                        doc="The community office appoints a resident to head buildings of a grid.")
