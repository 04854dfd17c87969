# English: the second language, chosen with /lang en.
# Arguments marked "user" in the code are HTML-escaped before they get here.

welcome-private =
    Hello { $name }!

    This is <b>Loa</b>, the channel through which the provincial Party committee's board ({ $board }) sends its monthly and quarterly guidance, with reference documents, to the party cells.

    If you are a cell secretary, open the invite link the Board sent your cell to connect the cell to Loa. From then on each new guidance pack arrives here; press «✅ Đã nhận» to acknowledge it and «📝 Báo cáo» to send a short report.

    Type /help to see the commands.

welcome-group =
    Hello everyone in «{ $title }»!

    This is <b>Loa</b>, the channel through which the provincial Party committee's board ({ $board }) sends its monthly and quarterly guidance, with reference documents, to the party cells. To connect this group to its cell, the cell secretary adds Loa to the group through the cell's invite link.

    Type /help to see the commands.

help =
    <b>Loa: how to use it</b>

    Loa delivers the Board's guidance to party cells, with its documents. When a pack arrives, press «✅ Đã nhận» (received); when a report is requested, press «📝 Báo cáo» (report) and answer each question; when something is unclear, press «❓ Hỏi» (ask) to ask the Board.

    <b>Commands</b>
    /start: begin; open it with an invite code to connect a cell
    /help: this guide
    /lang: change language: <code>/lang vi</code> (Tiếng Việt) or <code>/lang en</code> (English)
    /whoami: your Telegram id and role
    /packs: (in a cell's chat) the recent packs, documents sent again
    /report: (in a cell's chat) report on how a pack was carried out
    /tinhhinh: report the situation in your area: opinion, mood, incidents (urgent ones go at once)
    /cancel: drop what is under way (a report, a question)

lang-set = Switched to English.
lang-usage = There is no language «{ $given }». Type <code>/lang vi</code> (Tiếng Việt) or <code>/lang en</code> (English).
not-understood = Loa did not understand this message. Type /help to see the commands.
handler-failed = Loa hit an error handling this request and has logged it. Please try again in a few minutes.
unknown-command = There is no command «{ $command }». Type /help to see the commands.
error-generic = Sorry, Loa hit an error handling this request. Please try again in a few minutes.

cmd-start = Begin; with an invite code to connect a cell
cmd-help = How to use Loa
cmd-lang = Change language (vi | en)

## Binding a cell with an invite code
bind-ok =
    Cell «{ $cell }» ({ $district }) is now connected to Loa through this chat.

    From now on the Board's monthly and quarterly guidance arrives here with its documents. When it does, press «✅ Đã nhận» (received); when the Board asks for a report, press «📝 Báo cáo» (report) and answer each question.
bind-replaced = This chat used to receive guidance for cell «{ $old }»; from now on it receives it for «{ $cell }» only.
bind-late-packs = Loa will now send the { $count } guidance pack(s) still open that the cell has not received.
bind-moved-away = Cell «{ $cell }» has been connected to another chat. This chat will no longer receive the cell's guidance.
move-asked = The cell «{ $cell }» is connected to another chat. A request to move it to this chat has gone to the Board; Loa will say when the Board confirms.
move-confirm = ⇄ The invite code of the cell «{ $cell }» ({ $district }) was just used in the { $kind } «{ $place }» (sent by { $who }), while the cell is connected to another chat. Move the cell to the new chat?
move-private = private chat
move-group = group
move-yes = ✅ Move
move-no = ✖️ Keep
move-done = The cell «{ $cell }» is moved to the new chat.
move-refused-done = The cell «{ $cell }» stays with its old chat.
move-refused = The Board did not agree to move the cell «{ $cell }» to this chat. If this is a mistake, contact the Board.
move-gone = This request has been dealt with already.
move-denied = Only admins and the Board's staff can confirm moving a cell.
invite-unknown = This invite code is not right. Check the link the Board sent, or ask the Board for a new code.
invite-used = This invite code has been used already. Each code works once; ask the Board for a new one.
invite-expired = This invite code has expired. Ask the Board for a new one.
invite-revoked = This invite code was replaced by a newer one. Use the latest link the Board sent.
invite-retired = The cell of this invite code is no longer on the Board's list. Contact the Board if this is a mistake.
start-bound-note = This chat receives guidance for cell «{ $cell }» ({ $district }).

## Who am I, and staff commands
whoami =
    Your Telegram id: <code>{ $id }</code>
    Role: { $role }
    { $cell }
role-admin = admin
role-board = Board staff
role-district = officer of { $district }
role-none = no staff role
whoami-cell = This chat receives guidance for cell «{ $cell }» ({ $district }).
whoami-no-cell = This chat is not connected to any cell.
denied-staff = Sorry, { $command } is for the staff of the board ({ $board }) only. If you are staff, send the id that /whoami shows you to an admin to be given a role.
denied-admin = Sorry, { $command } is for admins only.
private-only = { $command } works only in your private chat with Loa, so that invite codes do not leak into a group.
invite-usage = Usage: <code>/invite CELL_CODE</code>, e.g. <code>/invite NR-001</code>.
invite-no-cell = There is no cell with code «{ $code }».
invite-issued =
    Invite code for cell «{ $cell }» ({ $district }), single use, valid until { $expires }:
    <code>{ $code }</code>

    The cell secretary opens one of the two links:
    • to receive guidance in a private chat: { $private }
    • to add Loa to the cell's group: { $group }

    The cell's older code, if any, no longer works.
grant-usage = Usage: <code>/grant USER_ID admin|board|district [unit code or name]</code>, e.g. <code>/grant 123456789 district X-BV</code>.
grant-ok = Role { $role } given to <code>{ $id }</code>.
revoke-usage = Usage: <code>/revoke USER_ID</code>, e.g. <code>/revoke 123456789</code>.
revoke-ok = Role { $role } taken from <code>{ $id }</code>.
staff-err-bad-id = «{ $given }» is not a Telegram user id (a positive number; the person can see it with /whoami).
staff-err-bad-role = There is no role «{ $given }»; choose admin, board or district.
staff-err-district-missing = The district role needs a district name.
staff-err-district-not-allowed = Only the district role takes a district name.
staff-err-bootstrap = <code>{ $id }</code> is an admin from the configuration file (staff.admins) and can only be changed there.
staff-err-not-staff = <code>{ $id }</code> has no staff role.
staff-err-service = { $id } is one of Telegram's service accounts (an anonymous group admin, a channel, Telegram's notices), not a person: it cannot be given a role.
staff-err-unknown-district = There is no unit «{ $given }». Give a unit's code or name (see <code>loa units list</code>), e.g. { $known }.
staff-err-root = Staff for the whole province have the board role: <code>/grant { $id } board</code>.

cmd-whoami = Show your Telegram id and role
cmd-cells = The cells of your unit and who has joined
cells-head = 🏘 <b>{ $unit }</b>: { $total } cells · joined { $bound } · not joined { $unbound } · unreachable { $unreachable }
cells-unit = <b>{ $unit }</b> ({ $bound }/{ $total } joined)
cells-unbound = {" "}— not joined
cells-unreachable = {" "}— unreachable
cells-none = There are no cells under { $unit }.
cells-invite-hint = To issue an invite: <code>/invite CELL_CODE</code>.
invite-out-of-scope = The cell «{ $code }» is not under your unit.
cmd-invite = Issue an invite code for a cell
cmd-grant = Give a staff role
cmd-revoke = Take a staff role away

## A pack as a cell sees it
pack-deadline = ⏰ Acknowledge by: { $date }
pack-report = 📝 The Board asks for a report: { $prompt }
pack-attachments = 📎 Reference documents: { $count } file(s)

## The scheduler tells the board
slot-empty = ⚠️ The slot for { $period } ({ $time }) has come, but no guidance for that period is scheduled. Compose and schedule it to reach the cells.
pack-started-late = ⚠️ «{ $title }» was due at { $due } but Loa was not running then; it started sending at { $now } ({ $minutes } min late).

## Composing a pack in chat (/newpack)
np-start = New guidance pack. Type /cancel at any time to drop it.
np-ask-kind = Step 1/9: what kind of pack?
np-ask-period = Step 2/9: the period: a month (e.g. <code>{ $month }</code>) or a quarter (e.g. <code>{ $quarter }</code>)?
np-ask-title = Step 3/9: the title?
np-ask-body = Step 4/9: the body (type or paste it; bold, italic and links are kept).
np-ask-docs = Step 5/9: send the reference documents (at most { $max }), one by one; press «Xong» when done.
np-doc-added = Got «{ $name }» ({ $count }/{ $max }). Send another, or press «Xong».
np-ask-audience = Step 6/9: send to «Tất cả» (all), or type districts, tags or cell codes separated by commas (e.g. <code>Na Rì, NR-001</code>).
np-ask-deadline = Step 7/9: the acknowledgement deadline (day/month/year, e.g. <code>{ $example }</code>), or «Mặc định» (default: { $days } days after sending).
np-ask-report = Step 8/9: what report should cells send? Type the request, or «Không» (none).
np-ask-schedule = Step 9/9: when to send? «Gửi ngay» (now), «Theo kỳ» (in the monthly/quarterly slot), «Để nháp» (draft), or a time <code>day/month/year hour:minute</code>.
np-preview = <b>Preview</b>: the message below is exactly what cells will receive (after { $docs } document(s)), with the button «✅ Đã nhận»{ $report }.
np-summary = To { $cells } cell(s) ({ $active } connected); { $when }. Estimated sending time: { $estimate }. Press «Xác nhận» (confirm) to save, or «Huỷ» (cancel).
np-when-now = sent as soon as it is confirmed
np-when-slot = sent in its slot
np-when-draft = saved as a draft, not scheduled
np-when-at = sent at { $time }
np-saved-draft = Pack { $id } saved as a draft.
np-saved-scheduled = Pack { $id } saved and scheduled for { $time }.
np-saved-unscheduled = Pack { $id } saved as a draft; it could not be scheduled: { $reason }
sched-err-no-pack = there is no pack { $id }
sched-err-status = pack { $id } is «{ $status }»: only a draft or a scheduled pack can be scheduled
sched-err-past = { $time } is in the past
sched-err-no-local-time = { $time } does not exist in the configured time zone (a clock change)
sched-err-no-slot = only monthly and quarterly packs go out in a slot
sched-err-slot-passed = the slot for { $period } has passed; send it now or at a time
sched-err-deadline = the deadline { $deadline } comes before the send time { $send }
np-cancelled = The pack being composed was dropped.
np-nothing = Nothing is being composed.
np-retry = { $problem } Please answer again.
np-bad-kind = Choose one of the kinds offered.
np-bad-period = The period is not right: { $reason }.
period-err-not = «{ $given }» is not a period: write a month as «October 2023» or «2023-10», a quarter as «Q4 2023» or «2023-Q4»
period-err-year = «{ $given }»: the year must be between 2000 and 2100
period-err-quarter = «{ $given }»: a quarter is Q1 to Q4
period-err-month = «{ $given }»: a month is 1 to 12
period-err-month-needed = a monthly pack needs a month, e.g. «October 2023»
period-err-quarter-needed = a quarterly pack needs a quarter, e.g. «Q4 2023»
np-bad-text = Please type text.
np-bad-title-long = The title is { $count } characters long; at most { $max }.
np-bad-body-format = The body has formatting Telegram does not take. Type or paste it again with less formatting (bold, italic and links are fine).
np-bad-doc = Send a file (a document), or press «Xong».
np-bad-doc-type = «{ $name }» is not a file type Loa takes ({ $types }).
np-too-many-docs = That makes { $max } files already; press «Xong».
np-bad-audience = «{ $token }» is not a district, tag or cell code in the registry.
np-empty-audience = No cell belongs to this audience.
np-bad-date = The date is not right; write day/month/year, e.g. { $example }, not before today.
np-bad-schedule = The time is not right; answer «Gửi ngay», «Theo kỳ», «Để nháp» or day/month/year hour:minute.
np-bad-confirm = Press «Xác nhận» to save, or «Huỷ».
np-too-long = The message would be { $length } characters, over Telegram's { $max }; shorten the body or move text into a document.
np-busy = You are composing a pack (step { $step }). Answer on, or type /cancel to drop it.
kind-monthly = Tháng
kind-quarterly = Quý
kind-thematic = Chuyên đề
kind-urgent = Khẩn
word-done = Xong
word-all = Tất cả
word-default = Mặc định
word-no = Không
word-now = Gửi ngay
word-slot = Theo kỳ
word-draft = Để nháp
word-confirm = Xác nhận
word-cancel = Huỷ
word-back = ⬅️ Back
np-preview-button = This is a preview: the button works in the message cells receive.
packs-none = No packs yet.
packs-line = <b>#{ $id }</b> { $title }: { $status }{ $progress }
packs-progress = : { $acked }/{ $targeted } cells acknowledged
status-draft = draft
status-scheduled = scheduled for { $time }
status-sending = sending
status-sent = sent
status-cancelled = cancelled
cmd-newpack = Compose a new pack
cmd-packs = Recent packs
cmd-cancel = Drop what you are doing

## Progress of a broadcast, for its author
progress = Sending { $pack }: { $done }/{ $total } ({ $percent }%) · { $failed } could not be sent · { $left } left
progress-paused = Sending { $pack } is paused: { $done }/{ $total } ({ $percent }%). Type /resume to go on.
progress-done = ✅ { $pack } is sent: { $sent }/{ $total } cells received it.
progress-unreachable = { $count } cell(s) could not be reached:
progress-failed = ⛔ Sending { $pack } stopped: Telegram refused the content ({ $reason }). Sent { $sent }/{ $total }. Fix the pack and send it again.
progress-cancelled = Sending { $pack } was cancelled: { $sent }/{ $total } cells had received it.
pause-ok = Sending { $pack } is paused. Type /resume to go on.
resume-ok = Sending { $pack } goes on.
pause-none = No broadcast is running.
resume-none = No broadcast is paused.
cmd-pause = Pause the running broadcast
cmd-resume = Resume a paused broadcast
np-preview-report = {" "}and «📝 Báo cáo»
reason-blocked = blocked Loa
reason-deactivated = the account was deleted
reason-not-found = the chat no longer exists
reason-removed = Loa was removed from the group

## Cells: acknowledging, reporting, their packs
cmd-report = Report on how a pack was carried out
cmd-remind = Remind the cells that have not acknowledged, now
button-invalid = This button does not belong to any pack sent to this chat, so Loa did not record it.
ack-recorded = Recorded. Thank you!
ack-recorded-late = Recorded (after the deadline). Thank you!
ack-already = The cell acknowledged already: { $name }, at { $time }. No need to press again.
ack-not-saved = Loa could not save the acknowledgement (a server problem). Please press again in a few minutes.
ack-button-done = ✅ Received by { $name } at { $time }
resend-started = Loa is sending the documents again.
resend-pending = The documents are on their way again; please wait a moment.
cell-only = This command works in the chat of a cell connected to Loa.
report-none-open = The cell has no pack awaiting a report.
report-choose = The cell has several packs awaiting a report. Choose the one to report on:
report-not-asked = The board did not ask for a report on { $pack }.
report-closed = The deadline of { $pack } has passed: the report sent can no longer be changed.
report-gone = The pack of this report no longer takes reports. The report being written was dropped.
report-cancelled = The report being written was dropped. Press «📝 Báo cáo» or type /report to start again.
report-intro =
    { $who } is reporting on { $pack }.
    <i>{ $prompt }</i>
    Loa asks 4 questions; answer each by replying to the question's message. Type /cancel to stop.
report-correcting = The cell reported at { $time }; the new report will replace it (the old one is kept).
report-ask-date = { $who }, question 1/4: on which day did the cell's meeting discuss this guidance? Write day/month/year, e.g. 05/10/2023.
report-ask-date-hint = day/month/year
report-ask-attendance = { $who }, question 2/4: how many members attended the meeting? Write a number, e.g. 18.
report-ask-attendance-hint = members present
report-ask-text = { $who }, question 3/4: sum up how it was carried out and what people are saying (at most { $max } characters).
report-ask-text-hint = results, public opinion
report-ask-attachment = { $who }, question 4/4: attach one photo or one file (minutes, a photo of the meeting) if there is one; otherwise reply «No».
report-ask-attachment-hint = photo, file, or «No»
report-skip = No
report-bad-date = Loa cannot read this date. Write day/month/year, e.g. 05/10/2023.
report-no-such-day = This day is not on the calendar. Check the day and the month.
report-future-date = This day has not come yet. Write the day the cell met.
report-old-date = This day is more than a year ago. Write the day the cell met about this guidance.
report-bad-count = The number of members present must be a number, e.g. 18.
report-count-range = The number of members present must be from 1 to { $max }.
report-empty = The report is empty. Write a few lines on how it was carried out.
report-too-long = The text is { $count } characters long, over the { $max } allowed. Shorten it and send it again.
report-file-too-big = { $who }, the file «{ $name }» is over { $mb } MB, which Loa cannot fetch. Send a smaller photo or file, or answer «no».
report-bad-attachment = { $who }, this question needs a photo or a file, or the reply «No».
report-saved =
    ✅ Report on { $pack } recorded:
    • Meeting day: { $date }
    • Members present: { $attendance }
    • Text: { $body }
    • { $attachment }
report-saved-corrected =
    ✅ Corrected report on { $pack } recorded (it replaces the earlier one):
    • Meeting day: { $date }
    • Members present: { $attendance }
    • Text: { $body }
    • { $attachment }
report-with-photo = With 1 photo
report-with-document = With 1 file
report-without-attachment = No attachment
report-late-note = The report came after the deadline.
report-until = The cell may correct its report until the end of { $date } with the «📝 Báo cáo» button.
cell-packs-none = No pack has been sent to the cell yet.
cell-packs-title = <b>The cell's recent packs</b>
cell-pack-line =
    { $pack }
    Received { $sent } · deadline { $deadline }
    { $ack }{ $report }
cell-pack-acked = ✅ acknowledged ({ $name }, { $time })
cell-pack-not-acked = ⏳ not acknowledged
cell-pack-reported = {" "}· 📝 reported at { $time }
cell-pack-not-reported = {" "}· 📝 not reported
cell-pack-resend = 📎 Send the documents again: { $pack }
remind-cell = ⏰ Reminder: the cell has not acknowledged { $pack }. Deadline: { $date }. Press «✅ Đã nhận» below.
resent-note = 📎 The documents of { $pack }, sent again at the cell's request.

## Reminders and escalation, for staff
remind-usage = «{ $given }» is not a pack number. Type <code>/remind</code> (the latest pack sent) or <code>/remind 12</code>.
remind-no-pack = No pack has been sent yet to remind about.
remind-not-sent = Pack #{ $given } does not exist or has not been sent.
remind-started = Sending a reminder to { $cells } cells that have not acknowledged { $pack }.
remind-nobody = No cell needs a reminder about { $pack }: all have acknowledged or were reminded today.
behind-not-acked = not acknowledged
behind-not-reported = acknowledged, not reported
escalate-district = ⚠️ The deadline { $deadline } of { $pack } has passed: { $behind }/{ $targeted } cells of { $district } have not acknowledged or reported:
escalate-board = 📊 The deadline { $deadline } of { $pack } has passed: { $acked }/{ $targeted } cells acknowledged ({ $ack_pct }%).
escalate-board-reports = Reported: { $reported }/{ $targeted } ({ $pct }%).
escalate-board-line = • { $district }: { $behind }/{ $targeted } cells not done
escalate-board-all-done = Every cell is done.
escalate-board-worst = Units behind, worst first:

## Figures for staff
cmd-stats = A pack's figures by unit (or: /stats trend)
cmd-pending = The cells that have not acknowledged
cmd-export = Export the figures and reports as a spreadsheet
cmd-chart = Chart of acknowledgement and report rates by unit
stats-private-only = { $command } works only in your private chat with Loa, so that figures stay out of groups.
staff-private-only = { $command } works only in your private chat with Loa.
stats-usage = «{ $given }» is not a pack number. For example: <code>/stats</code>, <code>/stats 12</code>, <code>/stats trend</code>, <code>/pending 12 Xã Na Rì</code>, <code>/stats 12 by 2</code>, <code>/export 12 csv</code>.
stats-none = No pack has been sent yet, so there are no figures.
stats-no-pack = There is no pack #{ $id }.
stats-late-joined = Of these, { $count } cell(s) joined after the pack went out and were sent it then.
stats-head =
    📊 <b>{ $pack }</b> (#{ $id })
    Delivered to { $delivered }/{ $targeted } cells · unreachable { $unreachable }
    Acknowledged { $acked } ({ $ack_pct }) · late { $late }
    Reported { $reported } ({ $report_pct })
stats-col-district = Unit
stats-col-delivered = Recv
stats-col-acked = Ack
stats-col-reported = Rep
stats-trend-head-monthly = 📈 <b>Monthly packs: rates by { $level }, recent periods</b>
stats-trend-head-quarterly = 📈 <b>Quarterly packs: rates by { $level }, recent periods</b>
stats-view = <b>{ $within }</b>, by { $level }:
stats-not-connected = Not connected: { $count } cell(s) of the audience are not on Loa (counted in the rates).
stats-not-connected-units = Not connected: { $units }
stats-more-rows = … and { $count } more unit(s) (see /export).
stats-no-unit = There is no unit «{ $given }» (give a unit's code or name, e.g. <code>/stats 12 XA-NARI</code>).
stats-unit-ambiguous = Several units are named «{ $given }»; give its code: { $codes }.
stats-out-of-scope = The unit «{ $given }» is not within your unit.
stats-bad-level = «{ $given }» is not a level. Give a level's number (1 = the units directly under the province) or name: { $levels }.
stats-no-scope = Your officer's account is not tied to a unit; ask the board to grant it again.
stats-cells-head = 📋 <b>{ $unit }</b> — { $pack }: { $acked }/{ $base } cells acknowledged (✅ acknowledged, ⏳ not yet, 📝 reported, ⛔ not joined)
stats-drill = ▸ { $name }
stats-sit-head = 📋 <b>Situation reports, { $span }</b> — { $within }: { $total } report(s), { $urgent } urgent, { $handled } handled
stats-sit-span-days = the last { $days } days
stats-sit-col-unit = Unit
stats-sit-more-units = … and { $count } more units (see /export tinhhinh)
export-sit-caption = 📋 Situation reports, { $span } — { $within }: by topic, by unit, and each report.
chart-sit-title = Situation reports, { $span } — { $within }
stats-sit-col-topic = Topic
stats-sit-col-total = All
stats-sit-col-urgent = Urg
stats-sit-col-handled = Done
stats-trend-acked = Acknowledged:
stats-trend-reported = Reported:
pending-none = Every cell that received { $pack } has acknowledged it.
pending-head = ⏳ <b>{ $count } cells have not acknowledged { $pack }</b>
pending-unreachable = {" "}(unreachable)
chart-trend-title = Acknowledgement rate by unit, recent periods
chart-acked = Acknowledged
chart-reported = Reported

## Situation reports
cmd-tinhhinh = A situation report (in a cell's chat, or an officer's private chat)
sit-who = /tinhhinh works in the chat of a cell connected to Loa, or for staff in their private chat with Loa.
sit-intro = { $who }, a situation report for { $board }: Loa asks in turn for the topic, the severity, the place, the text, then photos or files if any. /cancel to stop.
sit-ask-topic =
    { $who }, which topic? Answer with its number:
    { $topics }
sit-ask-topic-hint = The topic's number, e.g. 1
sit-ask-severity = { $who }, how pressing? 1 — Normal, 2 — Needs attention, 3 — Urgent (sent at once to the officers in charge and the board).
sit-ask-severity-hint = 1, 2 or 3
sit-ask-place = { $who }, where (village, commune, place)?
sit-ask-place-hint = E.g. Nà Pài village, Bằng Vân commune
sit-ask-text = { $who }, what is happening (at most { $max } characters)?
sit-ask-text-hint = The report
sit-ask-files = { $who }, send photos or files if any (at most { $files }), then type «done». None: type «no».
sit-ask-files-hint = Photos, files, or «done»
sit-done-word = done
sit-bad-topic = { $who }, «{ $given }» is not one of the topics. Answer with the topic's number.
sit-bad-severity = { $who }, the severity is 1 (Normal), 2 (Needs attention) or 3 (Urgent).
sit-empty = { $who }, the answer is empty.
sit-too-long = { $who }, the text is { $count } characters, over the { $max } allowed. Please shorten it and send it again.
sit-file-too-big = { $who }, the file «{ $name }» is over { $mb } MB, which Loa cannot fetch. Send a smaller one, or type «done».
sit-too-many-files = { $who }, a report takes at most { $max } photos or files. Type «done» to send it.
sit-file-taken = { $who }, Loa has file { $count }.
sit-bad-file = { $who }, Loa is waiting for photos or files; type «done» when all are sent, or «no» if there are none.
sit-gone = This situation report is no longer there; type /tinhhinh to start again.
sit-request-title = Situation report, { $period }
sit-request-body =
    { $board } asks every cell for its report on the mood of officers and members and on public opinion in its area during { $period }: the issues that arose, complex cases, people's views and requests.

    Press «📝 Báo cáo» under this message (or type /tinhhinh) and answer in turn: the topic, the severity, the place, the text; photos or files may follow. Topics:
    { $topics }

    Nothing new, all calm: choose the last topic and write «All calm».
sit-request-prompt = The situation report for { $period } (press «📝 Báo cáo», or type /tinhhinh)
sit-intro-request = { $who }, your situation report as { $board } asked in { $pack }: Loa asks the topic, the severity, the place, the text, then photos or files if any. Type /cancel to drop it.
sit-cancelled = The situation report is dropped; nothing was sent.
sit-severity-normal = Normal
sit-severity-attention = Needs attention
sit-severity-urgent = Urgent
sit-saved = Situation report no. { $id } recorded ({ $topic }, { $severity }, { $files } file(s)). The board and the officers in charge will see it in their inbox.
sit-saved-urgent = URGENT situation report no. { $id } recorded ({ $topic }, { $files } file(s)) and sent at once to the officers in charge and the board.
sit-urgent-alert =
    🔴 <b>URGENT situation report no. { $id }</b>
    From: { $from } ({ $unit })
    Topic: { $topic }
    Place: { $place }
    Reported by: { $who }

    { $body }

    To read and handle it: <code>/inbox { $id }</code>
cmd-inbox = The inbox of situation reports (within your scope)
inbox-usage = «{ $given }» is not clear. Usage: <code>/inbox</code> (the list), <code>/inbox 12</code> (open one), <code>/inbox 12 tl text</code> (answer the cell), <code>/inbox 12 len note</code> (forward up), <code>/inbox 12 xong note</code> (handled).
inbox-head = 📥 <b>Inbox of situation reports</b>: { $new } new · { $seen } seen · { $handled } handled
inbox-empty = No report is waiting to be handled.
inbox-status-new = new
inbox-status-seen = seen
inbox-status-handled = handled
inbox-unsent = {" "}· not sent on
inbox-open-hint = To open a report: <code>/inbox NUMBER</code>.
inbox-no-report = There is no situation report no. { $id } within your scope.
inbox-report =
    { $mark } <b>Situation report no. { $id }</b> — { $severity }
    Topic: { $topic }
    From: { $from }
    Place: { $place }
    Reported by: { $who }, { $time }
    State: { $status } · { $files } file(s)

    { $body }
inbox-handled-note = Handling note: { $note }
inbox-unsent-note = ⚠️ This urgent report reached nobody when it was filed.
inbox-actions = Answer the cell: <code>/inbox { $id } tl text</code> · Forward up: <code>/inbox { $id } len note</code> · Handled: <code>/inbox { $id } xong note</code>
inbox-file-missing = The file «{ $name }» of this report is no longer in Loa's store.
inbox-answer-to-cell = 📩 An answer to situation report no. { $id } ({ $topic }):
    { $text }
inbox-replied = The answer to report no. { $id } was sent to the cell.
inbox-forward-top = The board is the top: there is nobody above to forward the report to.
inbox-forwarded = Report no. { $id } forwarded up ({ $count } recipient(s)).
inbox-forwarded-to =
    ⬆️ { $mark } <b>Situation report no. { $id }</b> forwarded up by { $by }
    Topic: { $topic }
    From: { $from }
    Place: { $place }

    { $body }

    Note: { $note }
    To read it: <code>/inbox { $id }</code>
inbox-handled = Report no. { $id } is marked handled.
inbox-already-handled = Report no. { $id } was already marked handled.
cmd-hoi = The cells' questions on packs: read and answer them
cmd-tep = The file or photo a cell attached to a report (by the report's number in the workbook)
tep-usage = «{ $given }» is not clear. Usage: <code>/tep 12</code>, 12 being the report's number (the «Số báo cáo» column of the /export workbook).
tep-no-report = There is no report no. { $id } within your scope.
tep-none = Report no. { $id } from { $cell } (<code>{ $code }</code>) has no file.
tep-not-kept = The file of report no. { $id } ({ $cell }) came before Loa kept files, so Loa has no copy of it.
tep-missing = Loa could not read the stored file of report no. { $id } ({ $cell }); please ask an administrator to check the file store.
tep-caption = The file of report no. { $id } — { $cell } ({ $code })
q-text-only = A question on a pack needs words: type your question (press «❓ Hỏi» under the pack's message, or reply to it).
q-ask-prompt = { $who }, please type your question on { $pack } (at most { $max } characters) and send it. Type /cancel to drop it.
q-ask-prompt-hint = Your question
q-not-a-pack = The message you replied to is not a pack. To ask the Board about a pack, press «❓ Hỏi» under that pack's message, or reply to that message itself.
q-cancelled = The question is dropped.
cmd-hoidap = Answer a question for every cell that got the pack (its Q&A)
faq-usage = «{ $given }» is not clear. Usage: <code>/hoidap 12 the answer</code> (a question not answered yet) or <code>/hoidap 12</code> (send the answer given before to every cell).
faq-already = The answer to question no. { $id } was sent to every cell before.
faq-answered-before = Question no. { $id } is answered already. Type <code>/hoidap { $id }</code> (with no text) to send that answer to every cell.
faq-started = 💬 Sending the answer to question no. { $id } on «{ $pack }» to the { $cells } cells that got the pack; the question and answer are kept in the pack's Q&A.
faq-cell =
    💬 <b>Q&amp;A on { $pack }</b>
    Question: { $question }
    Answer: { $answer }
q-too-long = The question is { $count } characters, over the { $max } allowed. Please shorten it and send it again.
q-asked = ❓ Question no. { $id } on { $pack } sent to { $board }. The answer will come here.
q-to-staff =
    ❓ <b>Question no. { $id }</b> on «{ $pack }»
    From: { $cell } (<code>{ $code }</code>), { $who }

    { $body }

    To answer this cell: <code>/hoi { $id } text</code>
    To answer every cell (the board): <code>/hoidap { $id } text</code>
q-none-open = No question is waiting for an answer.
q-open-head = ❓ <b>{ $count } question(s) waiting for an answer</b> (to answer: <code>/hoi NUMBER text</code>)
q-usage = «{ $given }» is not clear. Usage: <code>/hoi</code> (the questions waiting) or <code>/hoi 12 the answer</code>.
q-no-question = There is no question no. { $id } within your scope.
q-answered-already = Question no. { $id } was answered already.
q-answered = The answer to question no. { $id } was sent to { $cell }.
q-answer-to-cell =
    💬 <b>An answer to a question on «{ $pack }»</b>
    Question: { $question }
    Answer: { $answer }

## The quarterly summary (loa report quarter)
qr-title = Quarterly summary, { $quarter }
qr-within = Scope
qr-packs-sent = Guidance packs sent
qr-requests = situation report requests
qr-delivered = Deliveries to cells
qr-acknowledged = Acknowledgements
qr-reported = Reports
qr-not-connected = Cells not connected (per pack)
qr-situations = Situation reports
qr-handled-word = handled
qr-urgent = Urgent cases
qr-questions = Cells' questions
qr-questions-value = { $asked } questions, { $answered } answered, { $faq } answered for every cell
qr-status-new = New
qr-status-seen = Seen
qr-status-handled = Handled
qr-unsent = Could not be passed to anyone
qr-generated = Drawn up at { $time } from Loa's data.
qr-none = None.
qr-sheet-summary = Summary
qr-sheet-packs = Packs sent
qr-sheet-units = Uptake by unit
qr-sheet-topics = Situations by topic
qr-sheet-urgent = Urgent cases
qr-col-pack = Pack
qr-col-period = Period
qr-col-sent = Sent at
qr-col-kind = Kind
qr-kind-guidance = Guidance
qr-kind-request = Situation report request
qr-col-delivered = Delivered
qr-col-acked = Acknowledged
qr-col-ack-rate = Acknowledgement rate
qr-col-late = Late
qr-col-reported = Reported
qr-col-report-rate = Report rate
qr-col-not-connected = Not connected
qr-col-code = Code
qr-col-situations = Situation reports
qr-col-urgent = Urgent
qr-col-topic = Topic
qr-col-total = Total
qr-col-handled = Handled
qr-col-number = No.
qr-col-time = Time
qr-col-unit = Unit
qr-col-from = From
qr-col-place = Place
qr-col-content = Content
qr-col-status = Status
qr-col-handling = Handling

## The web desk (/web, and the pages in the browser).
cmd-web = A sign-in link to the web desk
web-link =
    🖥 <b>The web desk</b>

    Open this link to sign in (it works once, for { $minutes } minutes, for you only):
    { $url }

    Do not pass this link on.
web-sign-in-title = Sign in
web-sign-in-explain = Press the button below to sign in to Loa's desk. A session lasts 8 hours.
web-sign-in-button = Sign in
web-how-to-sign-in = To sign in, send /web in your private chat with Loa on Telegram and open the link it sends.
web-signed-out = You are not signed in.
web-session-over = The session has expired or was signed out.
web-signed-out-now = Signed out.
web-no-role = You no longer have a staff role in Loa; the session has ended.
web-link-unknown = This sign-in link is not right (part of it may have been cut off).
web-link-used = This sign-in link has been used. Each link works once.
web-link-expired = This sign-in link has expired (it works for 10 minutes).
web-link-not-staff = The person this link was for no longer has a staff role in Loa.
web-sign-out = Sign out
web-role-admin = admin
web-role-board = board staff
web-role-district = unit officer
web-nav-overview = Overview
web-nav-packs = Packs
web-nav-units = Units and cells
web-nav-inbox = Inbox
web-nav-audit = Audit log
web-refused-title = Not done
web-refused-role = Only board staff or admins may do this.
web-refused-not-sent = This pack has not been sent.
web-refused-cancel = This pack cannot be cancelled (it is sent or cancelled already).
web-bad-form = The form is out of date or not valid. Reload the page and try again.
web-not-found-title = Not found
web-not-found = There is no such item, or it lies outside your scope.
web-failed-title = Something went wrong
web-overview-title = Overview
web-card-cells = cells
web-card-connected = connected to Loa
web-card-inbox-new = new situation reports
web-in-flight = Sending now
web-in-flight-none = No broadcast is running.
web-latest = Uptake of the latest packs
web-urgent = Urgent situation reports not yet seen
web-urgent-none = No urgent report waits.
web-broadcast-running = sending
web-broadcast-paused = paused
web-broadcast-done = sent
web-broadcast-cancelled = cancelled
web-broadcast-failed = refused by Telegram
web-col-pack = Pack
web-col-progress = Progress
web-col-state = State
web-col-status = Status
web-col-targeted = Cells targeted
web-col-delivered = Delivered
web-col-unreachable = Unreachable
web-col-acked = Acknowledged
web-col-reported = Reported
web-col-behind = Not acknowledged
web-col-not-connected = Not connected
web-col-unit = Unit
web-col-level = Level
web-col-cell = Cell
web-col-cells = Cells
web-col-cells-own = Its own cells (connected / all)
web-col-cells-below = All cells below (connected / all)
web-col-code = Code
web-col-reason = Reason
web-col-topic = Topic
web-col-from = From
web-col-when = When
web-col-severity = Severity
web-col-place = Place
web-col-chat = Chat
web-col-last-seen = Last seen
web-col-invite = Invite
web-col-who = Who
web-col-action = Action
web-col-subject = Subject
web-col-outcome = Outcome
web-col-details = Details
web-packs-title = Packs
web-deadline = Acknowledge by
web-audience = Audience
web-remind = Remind the cells that have not acknowledged
web-pause = Pause sending
web-resume = Resume sending
web-cancel = Cancel
web-cancel-confirm = Cancel this pack? Cells that have not received it will not be sent it.
web-download-xlsx = Download spreadsheet (.xlsx)
web-download-csv = Download CSV
web-download-png = Download chart (PNG)
web-delivery = Delivery
web-delivery-pending = waiting
web-delivery-sending = sending
web-delivery-sent = delivered
web-delivery-failed = unreachable
web-delivery-cancelled = cancelled
web-by-unit = By unit
web-chart-alt = Acknowledgement and report rates by unit
web-cells-here = Cells of this unit
web-cells-none = No cell hangs from this unit.
web-cell-acknowledged = acknowledged
web-cell-delivered = received, not acknowledged
web-cell-unreachable = unreachable
web-cell-sending = sending
web-cell-not-connected = not connected
web-behind = Cells that have not acknowledged
web-behind-none = Every cell has acknowledged.
web-behind-more = Showing { $shown } of { $count } cells; the spreadsheet has them all.
web-behind-unreachable = unreachable: { $why }
web-documents = Documents
web-documents-none = This pack has no documents.
web-body = The text (as cells receive it)
web-done-remind = Reminding { $cells } cells.
web-done-remind-nobody = No cell needs a reminder (all acknowledged, or reminded today).
web-done-pause = Sending paused.
web-done-resume = Sending resumed.
web-done-cancel = The pack is cancelled.
web-done-revoked = { $count } invite code(s) revoked.
web-units-title = Units and cells
web-units-explain = Open a unit to see its cells, issue or revoke invite codes, and download an invite sheet.
web-subunits = Units under it
web-cell-status-unbound = not connected
web-cell-status-active = connected
web-cell-status-unreachable = unreachable
web-cell-status-retired = retired
web-chat-private = private chat
web-chat-group = group
web-chat-supergroup = group
web-chat-channel = channel
web-invite = Issue an invite
web-invite-new = Issue a new code
web-invite-revoke = Revoke the code
web-invite-sheet = Download invite codes (CSV) for the cells not connected
web-invite-sheet-all = new codes for every cell, connected or not
web-invites-nobody = Every cell here is connected; tick "new codes for every cell" to move chats.
web-invite-title = New invite code
web-invite-code = Invite code
web-invite-private = The secretary opens, in a private chat
web-invite-group = Add Loa to the cell's group
web-invite-once = The code works once, until
web-no-bot-username = Loa does not know the bot's Telegram username yet, so it cannot make invite links.
web-back = Back
web-inbox-title = Situation reports
web-inbox-all = All
web-inbox-empty = No reports.
web-report-title = Situation report { $id }
web-files = Photos and files
web-reply = Answer the cell
web-reply-send = Send the answer
web-handle = Mark handled
web-handle-note = How it was handled
web-handle-button = Handled
web-handled-already = This report is marked handled already.
web-text-empty = The text is empty.
web-text-long = The text is longer than 3,000 characters.
web-audit-title = Audit log
web-audit-words = Search actions, subjects, details
web-audit-user = Telegram id of who acted
web-audit-search = Search
web-audit-none = No row matches.
web-audit-bad-user = A Telegram id is a number; that filter was left out.
web-older = Older
web-compose-title = Compose a new pack
web-compose-problems = Not saved: please fix the following.
web-compose-documents-again = Choose the documents again (a browser does not keep chosen files after sending).
web-compose-kind = Kind
web-compose-period = Period (month: 2026-12; quarter: 2026-Q4)
web-compose-title-field = Title
web-compose-body = Text (Markdown)
web-compose-body-help = **bold**, *italic*, [words](https://address), lists starting with "- ". The preview below is exactly what cells will see in Telegram.
web-compose-preview = Preview
web-compose-attachments = Documents (at most 10 files, 50 MB each)
web-compose-audience = Audience
web-compose-audience-help = Nothing ticked: every cell. A unit ticked: every cell under it.
web-compose-tags = Tags (separated by commas)
web-compose-cells = Cell codes (separated by commas)
web-compose-deadline = Acknowledge by (empty: the board's default number of days after sending)
web-compose-report = Report requested (empty: no report)
web-compose-schedule = When to send
web-compose-save = Save the pack
web-kind-monthly = Monthly
web-kind-quarterly = Quarterly
web-kind-thematic = Thematic
web-kind-urgent = Urgent
web-when-draft = Save as a draft, send later
web-when-now = Send now
web-when-slot = Send in the monthly/quarterly slot
web-when-at = Send at
web-schedule = Send it
web-schedule-bad-time = The time to send is not a valid time.
web-schedule-refused = Not scheduled: { $why }
web-estimate = To { $cells } cells ({ $active } connected), { $messages } message(s) each, at { $rate } messages/s: { $time }.
web-done-created = The pack is saved (a draft).
web-done-scheduled = The pack is scheduled.
web-audience-all = every cell
web-audience-districts = districts { $list }
web-audience-units = units { $list }
web-audience-tags = tags { $list }
web-audience-cells = cells { $list }
web-behind-many = { $count } cells have not acknowledged: open a unit in the table above to list them, or download the spreadsheet.
web-compose-more-units = Units further down (unit codes, separated by commas)
web-questions = Cells' questions not answered yet
web-question-answer = The answer
web-question-to-cell = Answer the cell that asked
web-question-to-all = Answer every cell that got the pack (Q&A)
web-question-long = The answer is longer than 1,000 characters.
web-question-answered = This question has an answer already; the first answer stands.
web-done-answered = The answer to question { $id } was sent to the cell.
web-done-faq = Sending the answer to question { $id } to the { $cells } cells that got the pack.
web-forward = Send it up
web-forward-note = A note with it (optional)
web-forward-button = Send to those above
web-sign-in-busy = Too many sign-ins in the last minute. Please wait a minute and try again.
