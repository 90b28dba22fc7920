"""Typed SQLAlchemy models. Nothing here commits: services flush, views commit."""
from .org import Organisation, Tree, UnionKind, PartyKind, EnterpriseKind
from .member import Member
from .user import User, RoleGrant, Role
from .session import UserSession, EndReason
from .case import Case, CaseHelper, Vote, Document, VoteKind
from .audit import AuditEvent
from .rules import RuleSet
from .calendar import HolidayOverride
from .classes import AwarenessClass, Enrolment, EnrolmentResult
from .targets import Target, UnitPlan
from .party_member import PartyMember, PartyStatus
from .reads import ReadEvent, ReadSubject
from .jobs import Job, JobFile, JobFileRole, JobState
from .moves import CaseMove, MoveKind, OrganisationMove
from .transfers import TransferKind, TransferRequest, TransferState
from .second_factor import RecoveryCode, SecondFactorPolicy, TotpFactor
from .verification import (Answer, CheckTopic, ExtraCheck, Relation, Relative, ResidenceOpinion,
                           VerificationRequest)
from .scans import Scan
from .tally import CaseTally
from .period_tally import CaseFact, CohortFact, CohortTally, PeriodTally

__all__ = [
    "Organisation", "Tree", "UnionKind", "PartyKind", "EnterpriseKind", "Member", "User",
    "RoleGrant", "Role", "UserSession", "EndReason", "Case", "CaseHelper", "Vote", "Document",
    "VoteKind", "AuditEvent", "RuleSet", "HolidayOverride", "AwarenessClass", "Enrolment",
    "EnrolmentResult", "Target", "UnitPlan", "PartyMember", "PartyStatus", "ReadEvent",
    "ReadSubject", "CaseMove", "MoveKind", "OrganisationMove", "Job", "JobFile", "JobFileRole",
    "JobState",
    "TransferKind", "TransferRequest", "TransferState",
    "RecoveryCode", "SecondFactorPolicy", "TotpFactor",
    "Answer", "CheckTopic", "ExtraCheck", "Relation", "Relative", "ResidenceOpinion",
    "VerificationRequest",
    "Scan", "CaseTally", "CaseFact", "CohortFact", "CohortTally", "PeriodTally",
]
