"""Each step in plain words for the candidate: where the case is, and who acts next."""
from flask_babel import lazy_gettext as _l

NOW = {
    "draft": _l("Your union is preparing your nomination."),
    "nominated": _l("Your union has nominated you to the Party organisation, which is "
                    "reviewing the nomination."),
    "accepted": _l("The Party organisation has accepted you and assigned a Party member to "
                   "help you. Next you attend the Party awareness class."),
    "in_class": _l("You are enrolled in the Party awareness class."),
    "certified": _l("You have passed the awareness class and hold its certificate."),
    "dossier": _l("Your application dossier is being completed: application, personal "
                  "history, introducer's letter and comments."),
    "cell_review": _l("Your Party cell will consider your admission at its meeting."),
    "committee_review": _l("The cell has proposed your admission; the grassroots Party "
                           "committee is reviewing it."),
    "decision_pending": _l("Your admission is before the competent Party committee for "
                           "decision."),
    "admitted": _l("The admission decision has been issued. Your cell will hold the admission "
                   "ceremony."),
    "probation": _l("You are a probationary Party member until the end of your probation."),
    "recognition_review": _l("Your cell has proposed your recognition as an official member; "
                             "the committees are deciding."),
    "official": _l("You are an official Party member."),
    "rejected": _l("Your admission was not approved this time. You may be nominated again "
                   "later."),
    "withdrawn": _l("The referral was withdrawn."),
    "removed": _l("You were removed from the list of probationary members."),
}

WHO_NEXT = {
    "draft": _l("The chair of your grassroots union"),
    "nominated": _l("The receiving Party organisation"),
    "accepted": _l("The awareness-class organiser"),
    "in_class": _l("The awareness-class organiser"),
    "certified": _l("Your Party cell"),
    "dossier": _l("Your Party cell and you (documents)"),
    "cell_review": _l("Your Party cell"),
    "committee_review": _l("The grassroots Party committee"),
    "decision_pending": _l("The competent Party committee"),
    "admitted": _l("Your Party cell"),
    "probation": _l("Your Party cell"),
    "recognition_review": _l("The competent Party committee"),
}
