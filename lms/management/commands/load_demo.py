"""Load Lectern's demo data. Idempotent: a second run changes nothing."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "lectern-demo-2026"

DEMO_USERS = [
    # email, first name, last name, role
    ("student@lectern.test", "Sam", "Student", User.Role.STUDENT),
    ("instructor@lectern.test", "Ines", "Instructor", User.Role.INSTRUCTOR),
    ("staff@lectern.test", "Stella", "Staff", User.Role.STAFF),
]


class Command(BaseCommand):
    help = "Create the demo accounts (and, where installed, demo courses). Safe to run twice."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for email, first, last, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, first_name=first, last_name=last)
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.set_role(role)
                created += 1
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ({created} new), password {DEMO_PASSWORD}:")
        )
        for email, _, _, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<11} {email}")
