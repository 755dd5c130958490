"""Background tasks of the learning app (django-tasks, backend "default")."""

import logging

from django.db import transaction
from django_tasks import task

from learning import certificates
from learning.models import Certificate

logger = logging.getLogger(__name__)


@task()
def make_certificate_pdf(*, certificate_id: int) -> bool:
    """Draw and keep a newly issued certificate's PDF. Idempotent: a certificate that has
    its PDF already (its owner downloaded it first) or was deleted meanwhile is left as
    it is. A failure fails the task (kept, with its traceback, where failed tasks are
    listed); the download draws the PDF itself until one is stored. True if stored now."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None or certificate.pdf:
        return False
    return certificates.keep(certificate, certificates.draw(certificate))


def queue_certificate_pdf(certificate: Certificate) -> None:
    """Make the PDF in the background once the issuing transaction commits. If the queue
    cannot take the task, the first download makes the PDF: logged, not raised."""

    def enqueue():
        try:
            make_certificate_pdf.enqueue(certificate_id=certificate.pk)
        except Exception:
            logger.exception("Certificate %s: PDF task could not be queued", certificate.code)

    transaction.on_commit(enqueue)
