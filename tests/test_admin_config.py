"""Administrators configure the customer method in the admin site, within their own company."""

from customers.models import NeedPoint, SegmentFit
from pitch.models import Product


def test_an_administrator_sets_a_product_fit_and_sees_only_own_company_choices(org, client_as):
    from tests.factories import build_other_company

    other = build_other_company()
    theirs = Product.objects.create(company=other.company, code="X-THEIRS", name="别家产品")
    ours = Product.objects.create(company=org.company, code="HY65-9", name="小挖")
    client = client_as(org.admin)
    form = client.get("/admin/customers/segmentfit/add/").content.decode()
    assert "HY65-9" in form and "X-THEIRS" not in form
    response = client.post(
        "/admin/customers/segmentfit/add/",
        {
            "product": ours.pk,
            "work_type": "engineering",
            "engineering_kind": "municipal",
            "scale": "individual",
            "score": "90",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fit = SegmentFit.objects.get(product=ours)
    assert fit.company == org.company and fit.score == 90
    # another company's product cannot be slipped in
    bad = client.post(
        "/admin/customers/segmentfit/add/",
        {"product": theirs.pk, "work_type": "mining", "engineering_kind": "", "scale": "team", "score": "50"},
    )
    assert bad.status_code == 200 and not SegmentFit.objects.filter(product=theirs).exists()


def test_a_salesperson_has_no_configuration_screens(org, client_as):
    NeedPoint.objects.create(company=org.company, code="price", name="价格")
    response = client_as(org.sales_a1).get("/admin/customers/needpoint/")
    assert response.status_code in (302, 403)
