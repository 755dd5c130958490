// The pay page's card payment (templates/payments/pay_stripe.html).
//
// Stripe.js draws the card field in its own frame and confirms the order's PaymentIntent
// with its client secret: the card number goes from this browser to Stripe only. Once
// Stripe has the payment, the return page waits for Stripe's webhook, which is what
// enrols the buyer; nothing here can.
(function () {
  "use strict";

  var form = document.getElementById("stripe-payment-form");
  if (!form) return;
  var button = form.querySelector("button[type=submit]");
  var errors = document.getElementById("stripe-errors");
  var status = document.getElementById("stripe-status");
  var PAID_OR_PAYING = ["succeeded", "processing", "requires_capture"];

  function fail(message) {
    status.textContent = "";
    errors.textContent = message;
    button.disabled = false;
  }

  if (typeof window.Stripe !== "function") {
    errors.textContent =
      "The card form could not load. Check your connection, then reload the page.";
    return;
  }

  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#stripe-card");
  card.on("change", function (event) {
    // Stripe checks the number as it is typed and says what is wrong with it.
    errors.textContent = event && event.error ? event.error.message : "";
  });
  button.disabled = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) return; // a second click while confirming
    button.disabled = true;
    errors.textContent = "";
    status.textContent = "Confirming your payment…";
    stripe
      .confirmCardPayment(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          fail(result.error.message || "Your payment was not accepted. Try another card.");
          return;
        }
        var intent = result.paymentIntent;
        if (intent && PAID_OR_PAYING.indexOf(intent.status) !== -1) {
          status.textContent = "Payment sent. Opening your order…";
          window.location.assign(form.dataset.returnUrl);
          return;
        }
        fail("The payment was not completed. Try again, or use another card.");
      })
      .catch(function () {
        fail("We could not reach our card processor. Check your connection and try again.");
      });
  });
})();
