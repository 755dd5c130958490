from django.urls import include, path

from payments import views

app_name = "payments"

# The Stripe webhook joins these with the Stripe provider.
urlpatterns = [
    path("courses/<slug:course_slug>/checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/pay/", views.pay, name="pay"),
    path("orders/<int:pk>/test-pay/", views.test_pay, name="test_pay"),
    path("orders/<int:pk>/return/", views.order_return, name="return"),
    path("payments/stripe/", include("payments.stripe_views")),
]
