import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from learning.models import Enrollment, LessonProgress


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory, published=True)


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    position = 0
