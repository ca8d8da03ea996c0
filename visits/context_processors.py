from core.models import Role


def outbox(request):
    """Salespeople and managers write visit notes: every page sends their offline drafts
    (static/visits/notes.js) and shows how many wait in the top bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.role_set & {Role.SALESPERSON, Role.MANAGER}:
        return {}
    from .views_notes import js_texts

    return {"visit_outbox_texts": js_texts()}
