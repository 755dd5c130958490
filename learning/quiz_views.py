"""The quiz lesson: the questions (never their answers) and the student's attempts."""


def quiz_context(request, player) -> dict:
    return {}
