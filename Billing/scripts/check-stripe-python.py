#!/usr/bin/env python3
"""Checks that Stripe's official Python library works against the payment sandbox.

Usage: check-stripe-python.py BASE_URL   (for example http://127.0.0.1:40123)

Creates a confirmed, off-session PaymentIntent with an idempotency key, repeats it (the sandbox
must replay it), reads it back, checks that a decline raises CardError with its decline code and
that reusing a key with other parameters raises IdempotencyError, through both the module-level
API (stripe.api_base) and StripeClient. Exits non-zero with a message on the first failure.
"""
import sys
import uuid

import stripe

CardError = getattr(stripe, "CardError", None) or stripe.error.CardError
IdempotencyError = getattr(stripe, "IdempotencyError", None) or stripe.error.IdempotencyError


def check(condition, message):
    if not condition:
        print("stripe-python check FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def params(payment_method, amount=1999):
    return dict(
        amount=amount,
        currency="usd",
        customer="cus_python",
        payment_method=payment_method,
        confirm=True,
        off_session=True,
        metadata={"subscription_id": "sub_python", "period_start": "2026-01-01"},
    )


def module_api(base):
    stripe.api_key = "sk_test_python"
    stripe.api_base = base
    stripe.max_network_retries = 0

    key = "python-" + uuid.uuid4().hex
    intent = stripe.PaymentIntent.create(idempotency_key=key, **params("pm_card_visa"))
    check(intent.id.startswith("pi_"), "id %r" % intent.id)
    check(intent.status == "succeeded", "status %r" % intent.status)
    check(intent.amount == 1999 and intent.currency == "usd", "amount/currency %r %r" % (intent.amount, intent.currency))
    check(intent.metadata["subscription_id"] == "sub_python", "metadata %r" % intent.metadata)

    again = stripe.PaymentIntent.create(idempotency_key=key, **params("pm_card_visa"))
    check(again.id == intent.id, "replay gave another PaymentIntent: %r != %r" % (again.id, intent.id))
    replayed = again.last_response.headers.get("Idempotent-Replayed") if again.last_response else None
    check(replayed == "true", "replay not marked Idempotent-Replayed: %r" % replayed)

    read = stripe.PaymentIntent.retrieve(intent.id)
    check(read.id == intent.id and read.status == "succeeded", "retrieve gave %r %r" % (read.id, read.status))

    try:
        stripe.PaymentIntent.create(idempotency_key="python-" + uuid.uuid4().hex, **params("pm_card_chargeDeclinedInsufficientFunds"))
        check(False, "a declined card did not raise")
    except CardError as error:
        check(error.http_status == 402, "decline status %r" % error.http_status)
        check(error.code == "card_declined", "decline code %r" % error.code)
        check(error.error.decline_code == "insufficient_funds", "decline_code %r" % error.error.decline_code)
        check(error.error.payment_intent.status == "requires_payment_method", "declined intent status")

    try:
        stripe.PaymentIntent.create(idempotency_key=key, **params("pm_card_visa", amount=2500))
        check(False, "reusing a key with other parameters did not raise")
    except IdempotencyError as error:
        check(error.http_status == 400, "idempotency error status %r" % error.http_status)


def client_api(base):
    client = stripe.StripeClient("sk_test_python", base_addresses={"api": base}, max_network_retries=0)
    key = "python-client-" + uuid.uuid4().hex
    intent = client.v1.payment_intents.create(params=params("pm_card_visa"), options={"idempotency_key": key})
    check(intent.status == "succeeded", "StripeClient status %r" % intent.status)
    read = client.v1.payment_intents.retrieve(intent.id)
    check(read.id == intent.id, "StripeClient retrieve")
    try:
        client.v1.payment_intents.create(params=params("pm_card_chargeDeclinedExpiredCard"), options={"idempotency_key": key + "-x"})
        check(False, "StripeClient: a declined card did not raise")
    except CardError as error:
        check(error.code == "expired_card", "StripeClient decline code %r" % error.code)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    base = sys.argv[1].rstrip("/")
    module_api(base)
    client_api(base)
    print("stripe-python %s against %s: ok" % (stripe.VERSION, base))


if __name__ == "__main__":
    main()
