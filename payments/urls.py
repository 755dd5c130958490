from django.urls import include, path

app_name = "payments"

# The pages (checkout, pay, return, order history, receipts) are added by the issue's
# views; "order" is named here because Order.get_absolute_url uses it.
urlpatterns: list = [
    path("payments/stripe/", include("payments.stripe_views")),
]
