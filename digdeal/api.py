"""Mounts every module's router on the one API (see core/api.py for the conventions)."""

from core.api import api
from core.api_routes import router as core_router
from customers.api import router as customers_router
from customers.api_import import router as customers_import_router
from customers.api_intel import router as customers_intel_router
from customers.api_pool import router as customers_pool_router
from orders.api_deals import router as orders_deals_router
from orders.api_delivery import router as orders_delivery_router
from orders.api_documents import router as orders_documents_router
from orders.api_dossier import router as orders_dossier_router
from pitch.api import router as pitch_router
from pitch.api_fabe import router as pitch_fabe_router
from policies.api import router as policies_router
from policies.api_negotiation import router as policies_negotiation_router
from policies.api_quotes import router as policies_quotes_router
from receivables.api import router as receivables_router
from receivables.collection.api import router as receivables_collection_router
from receivables.kpis.api import router as receivables_kpis_router
from receivables.ops.api import router as receivables_ops_router
from receivables.risk.api import router as receivables_risk_router
from visits.api_checkin import router as visits_checkin_router
from visits.api_notes import router as visits_notes_router
from visits.api_plan import router as visits_plan_router
from visits.api_reports import router as visits_reports_router

api.add_router("/", core_router)
api.add_router("/", customers_import_router)  # before /customers/{customer_id} catches /customers/import
api.add_router("/", customers_router)
api.add_router("/", customers_pool_router)
api.add_router("/", customers_intel_router)
api.add_router("/", pitch_router)
api.add_router("/", pitch_fabe_router)
api.add_router("/", policies_router)
api.add_router("/", policies_quotes_router)
api.add_router("/", policies_negotiation_router)
api.add_router("/", orders_deals_router)
api.add_router("/", orders_documents_router)
api.add_router("/", orders_dossier_router)
api.add_router("/", orders_delivery_router)
for _router in (
    receivables_ops_router,
    receivables_collection_router,
    receivables_risk_router,
    receivables_kpis_router,
):
    api.add_router("/", _router)  # the parts of collection, before /receivables/accounts/{account_id}
api.add_router("/", receivables_router)
api.add_router("/", visits_plan_router)
api.add_router("/", visits_checkin_router)
api.add_router("/", visits_notes_router)
api.add_router("/", visits_reports_router)
