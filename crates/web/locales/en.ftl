# Concord web interface — English (the reference: every other file has the same ids).

## Frame
skip-to-content = Skip to content
nav-label = Main
nav-dashboard = Dashboard
nav-browse = Browse and search
nav-import = Import
nav-matching = Feeds and matching
nav-admin = Administration
language-label = Language
signout = Sign out
footer-text = Concord — sharing threat information between CERTs, each node sovereign over its data.
back-to-dashboard = Back to the dashboard
yes = yes
no = no

## Dates (UTC) and counts
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
date-format = { $month } { $day }, { $year }
datetime-format = { $month } { $day }, { $year }, { $time } UTC
objects-count =
    { $count ->
        [one] { $count } object
       *[other] { $count } objects
    }

## Errors
error-title = Something went wrong
error-not-found = This page does not exist.
error-no-object = This object does not exist on this node, or your clearance does not cover it.
error-forbidden = Your role does not allow this.
error-csrf = The form had expired or did not come from this site. Please try again.
error-internal = An internal error occurred (reference { $id }). The operator can find it in the node's log.

## Sign-in
signin-title = Sign in
signin-username = User name
signin-password = Password
signin-submit = Sign in
signin-failed = Wrong user name or password.
signin-locked = Too many failed attempts for this user name. Try again in 15 minutes.
signin-locked-address = Too many failed sign-in attempts from this address. Try again in 15 minutes.

## Dashboard
dashboard-title = Dashboard
dashboard-total =
    { $count ->
        [one] You can see { $count } object on this node.
       *[other] You can see { $count } objects on this node.
    }
dashboard-by-type = Objects by type
dashboard-by-tlp = Objects by TLP level
dashboard-over-time =
    { $days ->
        [one] Objects added in the last day, by source
       *[other] Objects added in the last { $days } days, by source
    }
dashboard-other-types = Other types
dashboard-other-sources = Other or no source
dashboard-empty = No objects yet.
dashboard-sightings = Recent sightings
dashboard-incidents = Recent incidents
dashboard-no-sightings = No sightings yet.
dashboard-health = Peers, feeds and incidents
dashboard-peers-none = No peers are connected: federation is not set up on this node yet.
dashboard-feeds-none = No feeds are configured on this node.
dashboard-recent = Recently added
chart-table = Show the numbers
chart-day = Day

## Browse and search
browse-title = Browse and search
browse-search = Search text (any language)
browse-type = Type
browse-tlp = TLP level
browse-label = Label
browse-source = Source (identity id)
browse-from = Added from
browse-to = Added until
browse-any = Any
browse-submit = Search
browse-empty = No object matches these filters.
browse-shown =
    { $count ->
        [one] { $count } object on this page.
       *[other] { $count } objects on this page.
    }
browse-bad-text = The search text is too long (at most 500 characters).
browse-bad-type = The type is not a STIX type name.
browse-bad-tlp = Unknown TLP level.
browse-bad-source = The source must be a STIX identifier such as identity--…
browse-bad-date = Dates must be written as YYYY-MM-DD.
browse-bad-cursor = This page link is not valid; start again from the first page.
pager-label = Pages
pager-first = First page
pager-next = Next page

## Columns
col-name = Name
col-type = Type
col-tlp = TLP
col-modified = Modified
col-added = Added
col-created = Created
col-direction = Direction
col-relationship = Relationship
col-object = Object
col-kind = Kind
col-value = Shared value
col-status = Status
col-details = Details
col-actions = Actions
col-indicator = Indicator
col-count = Count
col-first-seen = First seen
col-last-seen = Last seen
col-sighting = Sighting

## Object page
object-fields = Properties
object-markings = Markings
object-no-markings = No markings (treated as TLP:CLEAR).
object-relationships =
    { $count ->
        [one] { $count } relationship
       *[other] { $count } relationships
    }
object-correlations =
    { $count ->
        [one] { $count } correlation
       *[other] { $count } correlations
    }
object-not-held = not held on this node
object-open-graph = Graph of related objects
object-json = Show the STIX JSON
direction-outgoing = refers to
direction-incoming = referred to by
field-name = Name
field-description = Description
field-type = Type
field-id = Identifier
field-created = Created
field-modified = Modified
field-created-by = Created by
field-labels = Labels
field-confidence = Confidence
field-pattern = Pattern
field-valid-from = Valid from
field-valid-until = Valid until
field-aliases = Aliases
field-first-seen = First seen
field-last-seen = Last seen
field-relationship-type = Relationship type
field-source = Source
field-target = Target
field-value = Value
field-external-references = External references
field-kill-chain-phases = Kill chain phases
field-revoked = Revoked
versions-heading =
    { $count ->
        [one] { $count } version
       *[other] { $count } versions
    }
versions-current = current
versions-compare-a = Compare from
versions-compare-b = Compare to
versions-compare = Show differences
diff-caption =
    { $count ->
        [one] { $count } property differs
       *[other] { $count } properties differ
    }
diff-property = Property
diff-version = Version of { $version }
diff-changed = changed
diff-added = added
diff-removed = removed
diff-same =
    { $count ->
        [one] { $count } other property is the same.
       *[other] { $count } other properties are the same.
    }

## Graph
graph-title = Graph: { $name }
graph-svg-title = Objects related to { $name }
graph-back = Back to the object
graph-empty = No related or correlated objects that you can see.
graph-legend = Solid lines: relationships and references. Dashed lines: a shared observable value.
graph-nodes =
    { $count ->
        [one] { $count } object in the graph
       *[other] { $count } objects in the graph
    }

## Import
import-title = Import
import-file = STIX 2.1, MISP JSON, CSAF 2.0, a list of values (one per line) or a CSV file
import-help = The format is recognised from the content. Every object is checked against STIX 2.1; valid ones are stored, and each rejected one is listed with the property and rule at fault.
import-submit = Import
import-no-file = Choose a file first.
import-not-stix = This file is not a STIX document: { $reason }
upload-failed = The upload failed: { $reason }
import-summary = New: { $new }. New versions: { $versions }. Unchanged: { $unchanged }. Conflicts: { $conflicts }. Rejected: { $rejected }.
import-results = Result per object
import-accepted = accepted
import-rejected = rejected
import-more-results =
    { $count ->
        [one] and { $count } more object.
       *[other] and { $count } more objects.
    }
import-another = Import another file
outcome-new = new
outcome-new-version = new version
outcome-unchanged = already held
outcome-conflict = conflict: this version is held with other content

## Feeds and matching
matching-title = Feeds and matching
matching-file = Log file
matching-format = Format
matching-submit = Match against indicators
matching-bad-format = Unknown log format.
matching-not-ready = The indicator index is still being built. Try again in a moment.
matching-summary = Lines read: { $lines }. Observations: { $observations }. Malformed lines: { $malformed }. Sightings written: { $sightings }.
matching-none = No indicator that you can see matched this log.
matching-sightings = Sightings
matching-errors = Malformed lines
matching-line = Line { $line }
matching-another = Match another log
feeds-heading = Feeds
format-eve = Suricata EVE (JSON lines)
format-zeek = Zeek (JSON lines)
format-ecs = Elastic Common Schema (JSON lines)
format-csv = CSV
format-lines = One value per line
format-stix = STIX observed-data

## Account
account-title = My account
account-profile = Profile
account-name = User name
account-role = Role
account-clearance = TLP clearance
account-tokens = My API tokens
account-no-tokens = No API tokens.
account-new-token = New API token
account-token-name = What the token is for
account-create-token = Create token
account-token-created = Token created.
account-token-once = Copy this secret now: it is shown only once.
account-token-invalid = Give the token a name (at most 200 characters) and a role no higher than yours.
account-revoke = Revoke
account-password = Change password
account-current-password = Current password
account-new-password = New password
account-confirm-password = New password again
account-change-password = Change password
password-mismatch = The two new passwords differ.
password-too-short = The password must have at least 10 characters.
password-too-long = The password must have at most 1024 characters.
password-wrong = The current password is wrong.
role-reader = reader
role-analyst = analyst
role-admin = administrator

## Administration
admin-title = Administration
admin-users =
    { $count ->
        [one] { $count } user
       *[other] { $count } users
    }
admin-disabled = Disabled
admin-save = Save
admin-new-user = New user
admin-create-user = Create user
admin-bad-name = User names have 1 to 64 characters, without spaces.
admin-bad-user = Choose a valid role and TLP clearance.
admin-name-taken = The user name { $name } is taken.
admin-user-created = User { $name } created.
admin-user-saved = Changes saved.
admin-self = You cannot lower your own role or disable yourself.
admin-tokens = All API tokens
admin-owner = Owner
admin-no-owner = none (created by command)
admin-collections = TAXII collections
admin-collections-root = API root: { $root }
admin-collection-filter = Content
admin-collection-all = every object
admin-collection-read = Read
admin-collection-write = Write

## Peers and audit
nav-peers = Peers and audit
peers-title = Peers and audit log
peers-heading =
    { $count ->
        [one] { $count } peer
       *[other] { $count } peers
    }
peers-never = never
col-url = Address
col-agreement = Agreement
col-last-sync = Last pull
col-lag = Changes behind
col-received = Objects received
col-last-error = Last error
audit-heading = Audit log of outbound decisions
audit-verify = Verify the whole chain
audit-empty = No outbound decision recorded yet.
audit-intact =
    { $count ->
        [one] The audit chain is intact ({ $count } entry checked).
       *[other] The audit chain is intact ({ $count } entries checked).
    }
audit-broken = The audit chain is broken at entry { $n }: it was altered or removed.
col-at = Time
col-peer = Peer
col-verdict = Decision
col-hash = Hash
verdict-send = sent
verdict-send-redacted = sent redacted
verdict-withhold = withheld
dashboard-peers =
    { $count ->
        [one] { $count } peer is connected.
       *[other] { $count } peers are connected.
    }
dashboard-peers-failing =
    { $count ->
        [one] { $count } failed its last pull.
       *[other] { $count } failed their last pull.
    }
object-provenance = Provenance
provenance-local = Created on this node or imported here (not received from a peer).
provenance-origin = Origin node
provenance-received-from = Received from
provenance-hops = Re-shares still allowed
provenance-redacted-by = Redacted by
provenance-signer-revoked = Signing key revoked
provenance-revoked-origin = The origin's key was revoked by { $community } from { $since }; this version was signed before then and is kept.
provenance-revoked-redactor = The redactor's key was revoked by { $community } from { $since }; this version was signed before then and is kept.

## Incidents
nav-incidents = Incidents
incidents-title = Incidents
incidents-empty = No incident that you can see is held on this node.
incident-status = Investigation status
incident-determination = Determination
incident-severity = Severity
incident-origin = Opened by
incident-local = this node
incident-alert = alert
incident-object = The incident as a STIX object
incident-state = State
versions-heading-plain = Versions
incident-acks = Acknowledgements of the alert (round { $round })
incident-overdue = overdue
incident-timeline = Timeline
incident-timeline-empty = Nothing has happened on this incident yet.
incident-said-by = Said by
kind-incident = incident
kind-ack = acknowledgement
kind-request = request for assistance
kind-request-response = answer to a request
kind-custody = chain of custody
kind-constituency-notification = constituency notification

## Outbound policy explanation
object-open-policy = What each peer would receive
policy-title = What each peer would receive: { $name }
policy-title-plain = What each peer would receive
policy-no-federation = This node does not federate: nothing leaves it.
policy-changed = Properties changed or removed in the copy sent:
policy-rule = Rule
policy-effect = Effect
policy-why = Why (the policy's explanation)
effect-allow = allows
effect-deny = withholds
effect-redact = redacts
effect-detect = detects a category
import-read-as = Read as: { $format }
import-problems =
    { $count ->
        [one] { $count } record could not be converted
       *[other] { $count } records could not be converted
    }
import-format-stix = STIX 2.1
import-format-misp = MISP JSON
import-format-csaf = CSAF 2.0 advisory
import-format-lines = one value per line
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = A feed file could not be read: { $reason }
feeds-not-configured = (no longer in concord.toml)
feeds-never-run = Not run yet.
feeds-ok = none
feeds-errors =
    { $count ->
        [one] { $count } error
       *[other] { $count } errors
    }
feeds-more-errors =
    { $count ->
        [one] and { $count } more error.
       *[other] and { $count } more errors.
    }
col-last-run = Last run
col-new = New
col-new-versions = New versions
col-unchanged = Unchanged
col-expired = Expired
col-rejected = Rejected or unconvertible
col-errors = Errors
# Import jobs
import-uploading = Uploading the file
import-recent = Your recent imports
import-running = in progress
import-failed = failed
import-busy = You already have imports in progress. Wait until one has finished.
import-full = The server is busy with other imports. Try again in a moment.
import-job-unknown = There is no such import. Imports are kept for an hour, and only for the user who started them.
import-file-name = File:
import-bytes = Size in bytes: { $count }
import-reading = Reading and converting the file
import-progress = Objects stored: { $done }
# Live notifications
nav-notifications = Notifications
live-label = Live notifications
live-new = New { $type }: { $name }
notifications-title = Notifications
notifications-no-subscription = No web subscription includes you. An administrator can add one to response.toml: a [[subscription]] with web = true, or web = ["your user name"].
notifications-none = No notifications since the server started.
notifications-recent = Recent notifications
col-subscription = Subscription
feeds-line = last run { $date }: { $new } new, { $versions } new versions, { $rejected } rejected or unconvertible.
import-layout = Layout of a list or CSV file
import-layout-auto = Recognise it from the content
import-bad-layout = There is no known layout called “{ $name }”. Choose one from the list.
import-format-csv = a list or CSV file with the chosen layout

## Community (issue 24)
nav-community = Community
community-title = Community { $name }
community-title-plain = Community
community-proposals-title = Proposals of { $name }
community-log-title = History of { $name }
community-not-found = This node holds no community of that name.
community-none = This node belongs to no community. A community is founded with `concord community create`, or joined by applying to a member.
community-choose = This node belongs to several communities. Choose one:
community-pages = Community pages
community-overview = Members and charter
community-proposals = Proposals
community-history = History
community-kind-admit = Admit a member
community-kind-suspend = Suspend a member
community-kind-readmit = Readmit a member
community-kind-expel = Expel a member
community-kind-revoke-key = Revoke a key
community-kind-change-charter = Change the charter
community-kind-define = Adopt a definition
community-status-active = active
community-status-suspended = suspended
community-status-expelled = expelled
community-threshold-count =
    { $count ->
        [one] { $count } member
       *[other] { $count } members
    }
community-threshold-fraction = { $fraction } of the members entitled to vote
community-days =
    { $count ->
        [one] { $count } day
       *[other] { $count } days
    }
community-hours =
    { $count ->
        [one] { $count } hour
       *[other] { $count } hours
    }
community-minutes =
    { $count ->
        [one] { $count } minute
       *[other] { $count } minutes
    }
community-founded = Founded on { $date }
community-entries-counted =
    { $count ->
        [one] { $count } log entry counted
       *[other] { $count } log entries counted
    }
community-entries-refused =
    { $count ->
        [one] { $count } refused
       *[other] { $count } refused
    }
community-charter = Charter
community-col-decision = Decision
community-col-threshold = Threshold
community-col-needed-now =
    { $count ->
        [one] Yes votes needed with { $count } active member
       *[other] Yes votes needed with { $count } active members
    }
community-col-period = Voting period
community-col-sponsors = Sponsors
community-members =
    { $count ->
        [one] { $count } member
       *[other] { $count } members
    }
community-col-organisation = Organisation
community-col-country = Country
community-col-sectors = Sectors
community-col-since = Member since
community-col-fingerprint = Key fingerprint
community-col-refused-here = Refused by this node
community-refused = Refused
community-refusals = Refused by this node
community-refusals-none = This node refuses no member of this community.
community-refusals-about = This node exchanges no data with these members, whatever the community decided (`concord community refuse`).
community-equivocations = Contradictory votes
community-equivocations-about = These members signed two contradictory entries; the first counts, the second was refused.
community-definitions = Community definitions
community-definitions-none = No definition has been adopted.
community-state-open = open
community-state-expired = expired without a decision
community-state-passed = passed
community-state-failed = failed
community-state-superseded = superseded by
community-yes = yes
community-no = no
community-proposed-by = Proposed by { $member }
community-yes-votes = Yes votes
community-no-votes = No votes
community-needed = Needed
community-needed-of =
    { $count ->
        [one] { $needed } yes votes of the { $count } member entitled to vote
       *[other] { $needed } yes votes of the { $count } members entitled to vote
    }
community-time-left = Time left
community-votes-cast = Votes cast
community-col-member = Member
community-col-vote = Vote
community-vote-yes = Vote yes
community-vote-no = Vote no
community-voted-already = This node voted { $choice }.
community-cannot-vote = This node is not entitled to vote on this proposal.
community-propose = Propose a decision
community-propose-about = The proposal is signed with this node's key and counts as its yes vote. Fill in the fields the decision needs: a member for suspension, readmission and expulsion; a member and its key for a revocation; a name and a JSON value for a definition; the whole charter (JSON) for a change of the charter. Admissions are proposed with `concord community propose admit`, which checks the candidate's signed application.
community-field-member = Member
community-field-key = Key to revoke (hex)
community-field-replacement = Replacement key (hex, optional)
community-field-application = Candidate's application (JSON from concord community apply)
community-field-sponsors = Other sponsors (node ids, separated by commas)
community-field-name = Definition name
community-field-value = Definition value (JSON)
community-field-charter = New charter (JSON)
community-field-note = Why (a few words)
community-propose-submit = Sign and propose
community-open =
    { $count ->
        [one] { $count } open proposal
       *[other] { $count } open proposals
    }
community-open-none = No proposal is open.
community-not-member = This node is not an active member of this community, so it cannot propose or vote.
community-decided = Decided and expired proposals
community-decided-none = No proposal has been decided yet.
community-col-tally = Yes votes / needed
community-no-key = This node does not federate, so it has no key to sign with.
community-not-counted = The entry would not count, so it was not stored: { $reason }
community-bad-choice = A vote is yes or no.
community-no-proposal = There is no such proposal.
community-voted = The vote was signed and stored; it reaches the other members with the next sync.
community-proposed = The proposal was signed and stored; it reaches the other members with the next sync.
community-need-member = Choose the member the decision is about.
community-need-key = Give the key to revoke.
community-need-application = Paste the candidate's application.
community-bad-application = The application is not valid: { $detail }
community-need-name = Give the definition's name.
community-bad-json = The value is not JSON: { $detail }
community-bad-charter = The charter is not acceptable: { $detail }
community-bad-action = Choose a kind of decision.
community-entry-proposal = Proposal: { $kind }
community-entry-vote-yes = Vote yes on
community-entry-vote-no = Vote no on
community-entry-rotate = Key rotation, effective { $date }
community-log-total =
    { $count ->
        [one] { $count } entry in the log
       *[other] { $count } entries in the log
    }
community-log-empty = The log has no entry on this page.
community-col-author = Author
community-col-counted = Counted
community-counted = counted
community-not-counted-short = refused
live-governance = { $event }: { $name }
live-governance-proposed = New proposal
live-governance-member-admitted = Member admitted
live-governance-member-suspended = Member suspended
live-governance-member-readmitted = Member readmitted
live-governance-member-expelled = Member expelled
live-governance-key-revoked = Key revoked
live-governance-charter-changed = Charter changed
live-governance-definition-adopted = Definition adopted
live-governance-failed = Proposal failed
live-governance-expired = Proposal expired
live-governance-superseded = Proposal superseded
