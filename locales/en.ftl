# English: the second language, chosen with /lang en.
# Arguments marked "user" in the code are HTML-escaped before they get here.

welcome-private =
    Hello { $name }!

    This is <b>Loa</b>, the channel through which the Provincial Party Committee's Propaganda and Education Board sends its monthly and quarterly guidance, with reference documents, to the party cells.

    If you are a cell secretary, open the invite link the Board sent your cell to connect the cell to Loa. From then on each new guidance pack arrives here; press «✅ Đã nhận» to acknowledge it and «📝 Báo cáo» to send a short report.

    Type /help to see the commands.

welcome-group =
    Hello everyone in «{ $title }»!

    This is <b>Loa</b>, the channel through which the Provincial Party Committee's Propaganda and Education Board sends its monthly and quarterly guidance, with reference documents, to the party cells. To connect this group to its cell, the cell secretary adds Loa to the group through the cell's invite link.

    Type /help to see the commands.

help =
    <b>Loa: how to use it</b>

    Loa delivers the Board's guidance to party cells, with its documents. When a pack arrives, press «✅ Đã nhận» (received); when a report is requested, press «📝 Báo cáo» (report) and answer each question.

    <b>Commands</b>
    /start: begin; open it with an invite code to connect a cell
    /help: this guide
    /lang: change language: <code>/lang vi</code> (Tiếng Việt) or <code>/lang en</code> (English)

lang-set = Switched to English.
lang-usage = There is no language «{ $given }». Type <code>/lang vi</code> (Tiếng Việt) or <code>/lang en</code> (English).
not-understood = Loa did not understand this message. Type /help to see the commands.
unknown-command = There is no command «{ $command }». Type /help to see the commands.
error-generic = Sorry, Loa hit an error handling this request. Please try again in a few minutes.

cmd-start = Begin; with an invite code to connect a cell
cmd-help = How to use Loa
cmd-lang = Change language (vi | en)
