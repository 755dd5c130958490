"""The course page's tools beside the builder: the publish checklist and duplicating a
course. (The instructor's view of a course's students lives in analytics, which reads
enrolments; the course page links to it.)

Owned by the checklist/duplicate work: its views are added to CourseAdmin's URLs here;
its markup is ``admin/catalog/course/checklist.html``.
"""


class CourseToolsMixin:
    def get_urls(self):
        return super().get_urls()
