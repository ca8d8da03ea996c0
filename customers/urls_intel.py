"""URLs of the intel pages (included by customers/urls.py under the customers: namespace)."""

from django.urls import path

from . import views_intel as v

urlpatterns: list = [
    # grade-0 industry contacts (0类客户)
    path("contacts/", v.contacts, name="contacts"),
    path("contacts/new/", v.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", v.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", v.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", v.contact_delete, name="contact_delete"),
    # market projects (市场形势)
    path("projects/", v.projects, name="projects"),
    path("projects/new/", v.project_create, name="project_create"),
    path("projects/customer-options/", v.project_customer_options, name="project_customer_options"),
    path("projects/<int:pk>/", v.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", v.project_edit, name="project_edit"),
    # competitors (竞争对手)
    path("competitors/", v.competitors, name="competitors"),
    path("competitors/dealers/new/", v.dealer_create, name="dealer_create"),
    path("competitors/dealers/<int:pk>/", v.dealer_detail, name="dealer_detail"),
    path("competitors/dealers/<int:pk>/edit/", v.dealer_edit, name="dealer_edit"),
    path("competitors/machines/new/", v.machine_create, name="machine_create"),
    path("competitors/machines/<int:pk>/", v.machine_detail, name="machine_detail"),
    path("competitors/machines/<int:pk>/edit/", v.machine_edit, name="machine_edit"),
    path("competitors/salespeople/new/", v.salesperson_create, name="salesperson_create"),
    path("competitors/salespeople/<int:pk>/", v.salesperson_detail, name="salesperson_detail"),
    path("competitors/salespeople/<int:pk>/edit/", v.salesperson_edit, name="salesperson_edit"),
]
