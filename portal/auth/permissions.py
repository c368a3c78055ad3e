"""The whole role -> permission table. One glance shows who may do what.

Permission strings are ``area.action``. A view declares the one it needs with
``@require("...")`` (portal.auth.decorators); templates ask ``can("...")``.
Checks that depend on the record ("only your own ...") live in the area's services.
"""

from portal.i18n import N_

ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")

ROLE_LABELS = {
    "manager": N_("Manager"),
    "supervisor": N_("Supervisor"),
    "presales": N_("Pre-sales agent"),
    "aftersales": N_("After-sales agent"),
    "order_clerk": N_("Order clerk"),
    "reception": N_("Showroom reception"),
}

# Marker for views anyone may open, signed in or not (the sign-in page, the language switch).
PUBLIC = "public"

# Endpoints Flask itself adds; they carry no declaration of their own.
PUBLIC_ENDPOINTS = frozenset({"static"})

EVERYONE = frozenset({
    "home.view",            # the Today page
    "live.events",          # the live-updates stream (/events): events of what one may see
    "notifications.view",   # own notifications
    "account.manage_own",   # own password and language
    "roster.view",          # the duty roster, my shifts, today's line-up
})

# Roles that work shifts: they request swaps and record their overtime.
ROSTERED = frozenset({
    "shifts.own",           # my own shifts on the Today page (only people who work shifts)
    "shifts.swap",          # ask a colleague to swap, accept or decline
    "shifts.overtime",      # record own overtime after a night shift (R-S3)
})

DESK_BOOK = frozenset({"handover.desk.read", "handover.desk.write"})
SHOWROOM_BOOK = frozenset({"handover.showroom.read", "handover.showroom.write"})

# The showroom's pages: reception works them; supervisor and manager read them and keep the
# lists (menu, checklist items). Other roles have no access to the showroom log.
SHOWROOM_READ = frozenset({
    "reception.view",       # visitor board, today, history, month summary, checklist, repairs
    "reception.personal",   # visitors' names and phone numbers in full (R-R6)
})

# The order desk (R-O1..R-O11): everyone who reads orders; pre-sales write remarks, create
# orders, ask for cancellations and keep the registers; order clerks work the queue.
ORDERS_READ = frozenset({"orders.view"})
REGISTERS_READ = frozenset({"orders.registers_view"})

# The after-sales desk (R-A1..R-A7, R-C2, R-C3): agents work cases; supervisor and manager
# read everything, keep the canned replies and check the refund/dispute queue daily.
AFTERSALES_READ = frozenset({"aftersales.view"})

# The customer archive (R-C1, R-C2, R-C8): every role finds a customer and reads the story,
# contacts masked; full contacts for after-sales, the supervisor and the manager (and the
# customer's owner, a record rule in the service); agents who talk to customers keep the
# record and make the calls; the supervisor keeps the lists and answers data requests.
CUSTOMERS_READ = frozenset({"customers.view"})
CUSTOMERS_WORK = frozenset({
    "customers.edit",       # notes, tags, needs, consent, kind of a customer
    "customers.calls",      # my calls today: record a call's result
    "customers.merge",      # merge possible duplicates, undo a merge
})

# The customer's voice (R-C3, R-C4, R-P4): everyone who meets customers records a complaint
# and works the ones they own, reads the knowledge base and finds things with the one search
# box; agents keep a daily work record and write draft articles. The supervisor and the
# manager decide escalations and read the month's analysis, which the supervisor sends; the
# knowledge editor publishes (the supervisor; "knowledge.edit" may be granted to a person).
VOICE = frozenset({
    "complaints.view",      # the complaint register and a complaint's page
    "complaints.work",      # record a complaint, work the ones one owns, answer, close
    "knowledge.view",       # read published articles
    "search.view",          # the one search box: articles, work records, complaints, handover
})
AGENT_VOICE = frozenset({
    "worklog.own",          # my daily work record
    "knowledge.write",      # draft an article, promote a question to a draft
})
VOICE_OVERSIGHT = frozenset({
    "complaints.oversee",   # decide escalations, reassign, the open-complaints card
    "complaints.analysis",  # the month's analysis (R-C3)
    "worklog.oversee",      # any agent's day, the day's totals (每日工作统计)
})
# Distributors (R-O9, R-O10): accounts and ledgers read by the order desk, pre-sales and the
# managers; order clerks check and issue distributor orders (reduce, ask to pay) and follow
# delivery problems; pre-sales and clerks book payments in (bank transfers); the supervisor
# keeps the accounts: credit lines, terms, holds, refunds and adjustments.
DISTRIBUTORS_READ = frozenset({"distributors.view"})
DISTRIBUTORS_PAY = frozenset({"distributors.payments"})  # book a payment in
DISTRIBUTORS_WORK = frozenset({"distributors.work"})  # check, issue, reduce, ask to pay

# Permissions the staff page may grant to one person beyond their role.
GRANTABLE = {"knowledge.edit": N_("Knowledge editor")}

# Staff whose work is scored: they read their own sheets, acknowledge and appeal (R-P1).
SCORED = frozenset({"scoring.own"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": EVERYONE | {
        "staff.manage",              # staff accounts
        "staff.manage_supervisors",  # may create and change supervisors and managers
        "audit.view",
        "shifts.overtime_report",
        "handover.desk.read", "handover.showroom.read",
        "reception.lists",
        "scoring.overview",          # every sheet of a month
        "scoring.approve",           # approve, return, reopen with a reason (R-P2, R-P3)
    } | SHOWROOM_READ | ORDERS_READ | REGISTERS_READ | AFTERSALES_READ | {
        "aftersales.oversee",        # refund/dispute queue, reminders, weekly report, SLA card
        "aftersales.replies",        # keep the canned replies
    } | CUSTOMERS_READ | {
        "customers.contacts",        # phones and addresses in full (R-C8)
        "customers.oversee",         # calls per agent, duplicates, the care list's figures
    } | VOICE | VOICE_OVERSIGHT | DISTRIBUTORS_READ,
    # both books: the supervisor writes, signs and takes over (R-H1, R-H2, escalations)
    "supervisor": EVERYONE | ROSTERED | SHOWROOM_READ | DESK_BOOK | SHOWROOM_BOOK | {
        "staff.manage",
        "audit.view",
        "roster.plan",               # plan, generate, publish the roster and cleaning duty
        "shifts.swap_approve",
        "shifts.overtime_report",
        "shifts.overtime_manage",    # record and correct an agent's overtime (R-S3)
        "handover.close_any",        # close any open item with a resolution; take over an
                                     # item of the running shift (an escalation)
        "reception.lists",           # the showroom menu and the checklist's items
        "reception.repairs",         # follow up repairs (notes, status)
        "scoring.overview",
        "scoring.record",            # the catalogue, entries, submitting, answering appeals
        "orders.oversee",            # overdue orders on the Today page (R-O10)
        "aftersales.oversee",
        "aftersales.replies",
        "customers.contacts",
        "customers.oversee",
        "customers.manage",          # tags, value classes, call plans, owners, care list,
                                     # a customer's data export and anonymisation (R-C8)
        "jobs.manage",               # switch kinds of reminder off and on
        "complaints.manage",         # complaint categories, due times by severity
        "complaints.report",         # the month's analysis: comment, send to the manager
        "worklog.manage",            # the question categories
        "knowledge.edit",            # publish, retire, review, revert articles
    } | VOICE | AGENT_VOICE | VOICE_OVERSIGHT | ORDERS_READ | REGISTERS_READ | AFTERSALES_READ
    | CUSTOMERS_READ | CUSTOMERS_WORK | DISTRIBUTORS_READ | DISTRIBUTORS_PAY | DISTRIBUTORS_WORK
    | {"distributors.manage"},       # accounts, credit lines, holds, refunds, adjustments
    "presales": EVERYONE | ROSTERED | DESK_BOOK | SCORED | ORDERS_READ | REGISTERS_READ | {
        "orders.create",             # type an order in by hand
        "orders.import",             # import a platform's export
        "orders.remark",             # remarks in the standard form (R-O1, R-O3)
        "orders.cancel",             # ask for a cancellation (R-O2)
        "orders.registers",          # bank transfers (R-O7), out-of-stock waits (R-O8)
        "aftersales.open",           # open an after-sales case from an order
    } | CUSTOMERS_READ | CUSTOMERS_WORK | VOICE | AGENT_VOICE | DISTRIBUTORS_READ
    | DISTRIBUTORS_PAY,
    "aftersales": EVERYONE | ROSTERED | DESK_BOOK | SCORED | ORDERS_READ | AFTERSALES_READ | {
        "aftersales.open",
        "aftersales.work",           # cases: assign, notes, photos, steps, refunds, visits
        "customers.contacts",
    } | CUSTOMERS_READ | CUSTOMERS_WORK | VOICE | AGENT_VOICE,
    "order_clerk": EVERYONE | ROSTERED | DESK_BOOK | SCORED | ORDERS_READ | REGISTERS_READ | {
        "orders.import",
        "orders.work",               # the queue: flags, slips, packing, shipping, voiding, tasks
        "orders.stock",              # stock counts and expected arrivals
        "aftersales.parcels",        # returned parcels: sign "原包裹已收到" (R-A5)
    } | CUSTOMERS_READ | VOICE | AGENT_VOICE | DISTRIBUTORS_READ | DISTRIBUTORS_PAY
    | DISTRIBUTORS_WORK,
    "reception": EVERYONE | ROSTERED | SHOWROOM_BOOK | SHOWROOM_READ | SCORED | {
        "reception.work",            # log visitors, serve, mark departures, fill the checklist
        "reception.repairs",         # report repairs and follow them up
    } | CUSTOMERS_READ | VOICE | AGENT_VOICE,
}

# Roles that appear on the duty roster, in the order the grid groups them.
ROSTER_ROLES = ("supervisor", "presales", "aftersales", "order_clerk", "reception")

# Roles whose accounts only holders of "staff.manage_supervisors" may touch.
SENIOR_ROLES = frozenset({"manager", "supervisor"})


def role_can(role: str | None, permission: str) -> bool:
    """True when ``role`` holds ``permission``."""
    return permission in PERMISSIONS.get(role or "", frozenset())


def all_permissions() -> frozenset[str]:
    """Every permission some role holds."""
    return frozenset().union(*PERMISSIONS.values())
