app_name = "payments"

# The pages (checkout, pay, return, order history, receipts) and the Stripe webhook are
# added by the views; "order" is named here because Order.get_absolute_url uses it.
urlpatterns: list = []
