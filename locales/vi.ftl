# Tiếng Việt: the default language of everything Loa says.
# Arguments marked "user" in the code are HTML-escaped before they get here.

welcome-private =
    Xin chào { $name }!

    Đây là <b>Loa</b> — kênh { $board } gửi định hướng tuyên truyền hằng tháng, hằng quý và tư liệu đi kèm tới các chi bộ.

    Nếu đồng chí là bí thư chi bộ, hãy mở đường liên kết mời mà Ban đã gửi cho chi bộ mình để kết nối chi bộ với Loa. Từ đó, mỗi định hướng mới sẽ được gửi tới đây; đồng chí bấm «✅ Đã nhận» để xác nhận đã nhận và «📝 Báo cáo» để gửi báo cáo ngắn.

    Gõ /help để xem các lệnh.

welcome-group =
    Xin chào các đồng chí trong nhóm «{ $title }»!

    Đây là <b>Loa</b> — kênh { $board } gửi định hướng tuyên truyền hằng tháng, hằng quý và tư liệu đi kèm tới các chi bộ. Để kết nối nhóm này với chi bộ, đồng chí bí thư hãy thêm Loa vào nhóm bằng đường liên kết mời của chi bộ.

    Gõ /help để xem các lệnh.

help =
    <b>Loa — hướng dẫn sử dụng</b>

    Loa gửi định hướng tuyên truyền của { $board } tới chi bộ, kèm tư liệu. Khi nhận được, đồng chí bấm «✅ Đã nhận»; khi được yêu cầu báo cáo, bấm «📝 Báo cáo» và trả lời từng câu hỏi; có điều chưa rõ, bấm «❓ Hỏi» để hỏi Ban.

    <b>Các lệnh</b>
    /start — bắt đầu; mở kèm mã mời để kết nối chi bộ
    /help — xem hướng dẫn này
    /lang — đổi ngôn ngữ: <code>/lang vi</code> (Tiếng Việt) hoặc <code>/lang en</code> (English)
    /whoami — xem mã số Telegram và vai trò của mình
    /packs — (trong nhóm chi bộ) các định hướng gần đây, gửi lại tư liệu
    /report — (trong nhóm chi bộ) báo cáo kết quả thực hiện một định hướng
    /tinhhinh — báo cáo tình hình tư tưởng, dư luận, vụ việc trên địa bàn (khẩn thì báo ngay)
    /cancel — thôi việc đang làm dở (báo cáo, câu hỏi)

lang-set = Đã chuyển sang Tiếng Việt.
lang-usage = Ngôn ngữ «{ $given }» chưa có. Hãy gõ <code>/lang vi</code> (Tiếng Việt) hoặc <code>/lang en</code> (English).
not-understood = Loa chưa hiểu tin nhắn này. Gõ /help để xem các lệnh.
handler-failed = Loa gặp lỗi khi xử lý yêu cầu này và đã ghi lại để kiểm tra. Vui lòng thử lại sau ít phút.
unknown-command = Lệnh «{ $command }» không có. Gõ /help để xem các lệnh.
error-generic = Xin lỗi, Loa gặp lỗi khi xử lý yêu cầu. Đồng chí vui lòng thử lại sau ít phút.

cmd-start = Bắt đầu; kèm mã mời để kết nối chi bộ
cmd-help = Hướng dẫn sử dụng
cmd-lang = Đổi ngôn ngữ (vi | en)

## Binding a cell with an invite code
bind-ok =
    Đã kết nối chi bộ «{ $cell }» ({ $district }) với Loa qua cuộc trò chuyện này.

    Từ nay, định hướng tuyên truyền hằng tháng, hằng quý của Ban sẽ được gửi tới đây kèm tư liệu. Khi nhận được, đồng chí bấm «✅ Đã nhận»; khi Ban đề nghị báo cáo, bấm «📝 Báo cáo» và trả lời từng câu hỏi.
bind-replaced = Cuộc trò chuyện này trước đây nhận định hướng cho chi bộ «{ $old }»; từ nay chỉ nhận cho chi bộ «{ $cell }».
bind-late-packs = Loa sẽ gửi ngay { $count } định hướng còn hạn mà chi bộ chưa nhận được.
bind-moved-away = Chi bộ «{ $cell }» đã được kết nối với một cuộc trò chuyện khác. Cuộc trò chuyện này sẽ không nhận định hướng của chi bộ nữa.
move-asked = Chi bộ «{ $cell }» đang kết nối với một cuộc trò chuyện khác. Yêu cầu chuyển sang cuộc trò chuyện này đã được gửi tới Ban; Loa sẽ báo khi Ban xác nhận.
move-confirm = ⇄ Mã mời của chi bộ «{ $cell }» ({ $district }) vừa được dùng trong { $kind } «{ $place }» (người gửi: { $who }), trong khi chi bộ đang kết nối với một cuộc trò chuyện khác. Chuyển chi bộ sang cuộc trò chuyện mới?
move-private = cuộc trò chuyện riêng
move-group = nhóm
move-yes = ✅ Chuyển
move-no = ✖️ Không chuyển
move-done = Đã chuyển chi bộ «{ $cell }» sang cuộc trò chuyện mới.
move-refused-done = Đã giữ chi bộ «{ $cell }» ở cuộc trò chuyện cũ.
move-refused = Ban không đồng ý chuyển chi bộ «{ $cell }» sang cuộc trò chuyện này. Nếu có nhầm lẫn, đồng chí liên hệ Ban.
move-gone = Yêu cầu này đã được xử lý.
move-denied = Chỉ quản trị viên và cán bộ của Ban mới xác nhận được việc chuyển chi bộ.
invite-unknown = Mã mời không đúng. Đồng chí kiểm tra lại đường liên kết Ban đã gửi, hoặc liên hệ Ban để nhận mã mới.
invite-used = Mã mời này đã được dùng. Mỗi mã chỉ dùng được một lần; đồng chí liên hệ Ban để nhận mã mới.
invite-expired = Mã mời này đã hết hạn. Đồng chí liên hệ Ban để nhận mã mới.
invite-revoked = Mã mời này đã được thay bằng mã mới. Đồng chí dùng đường liên kết mới nhất Ban gửi.
invite-retired = Chi bộ của mã mời này không còn trong danh sách của Ban. Đồng chí liên hệ Ban nếu có nhầm lẫn.
start-bound-note = Cuộc trò chuyện này đang nhận định hướng cho chi bộ «{ $cell }» ({ $district }).

## Who am I, and staff commands
whoami =
    Mã số Telegram của đồng chí: <code>{ $id }</code>
    Vai trò: { $role }
    { $cell }
role-admin = quản trị viên
role-board = cán bộ Ban
role-district = cán bộ phụ trách { $district }
role-none = không có vai trò cán bộ
whoami-cell = Cuộc trò chuyện này nhận định hướng cho chi bộ «{ $cell }» ({ $district }).
whoami-no-cell = Cuộc trò chuyện này chưa gắn với chi bộ nào.
denied-staff = Xin lỗi, lệnh { $command } chỉ dành cho cán bộ của { $board }. Nếu đồng chí là cán bộ, hãy gửi mã số từ lệnh /whoami cho quản trị viên để được cấp quyền.
denied-admin = Xin lỗi, lệnh { $command } chỉ dành cho quản trị viên.
private-only = Lệnh { $command } chỉ dùng trong cuộc trò chuyện riêng với Loa, để mã mời không lộ ra nhóm.
invite-usage = Cách dùng: <code>/invite MÃ_CHI_BỘ</code>, ví dụ <code>/invite NR-001</code>.
invite-no-cell = Không có chi bộ mã «{ $code }» trong danh sách.
invite-issued =
    Mã mời cho chi bộ «{ $cell }» ({ $district }), dùng được một lần, đến { $expires }:
    <code>{ $code }</code>

    Bí thư chi bộ mở một trong hai đường liên kết:
    • nhận định hướng trong cuộc trò chuyện riêng: { $private }
    • thêm Loa vào nhóm của chi bộ: { $group }

    Mã cũ của chi bộ (nếu có) đã hết hiệu lực.
grant-usage = Cách dùng: <code>/grant MÃ_SỐ admin|board|district [mã hoặc tên đơn vị]</code>, ví dụ <code>/grant 123456789 district X-BV</code>.
grant-ok = Đã cấp vai trò { $role } cho <code>{ $id }</code>.
revoke-usage = Cách dùng: <code>/revoke MÃ_SỐ</code>, ví dụ <code>/revoke 123456789</code>.
revoke-ok = Đã thu hồi vai trò { $role } của <code>{ $id }</code>.
staff-err-bad-id = «{ $given }» không phải mã số Telegram (một số dương; người đó xem được bằng lệnh /whoami).
staff-err-bad-role = Vai trò «{ $given }» không có; chọn admin, board hoặc district.
staff-err-district-missing = Vai trò district cần kèm tên huyện.
staff-err-district-not-allowed = Chỉ vai trò district mới kèm tên huyện.
staff-err-bootstrap = <code>{ $id }</code> là quản trị viên trong tệp cấu hình (staff.admins); chỉ sửa được ở đó.
staff-err-not-staff = <code>{ $id }</code> không có vai trò cán bộ.
staff-err-service = { $id } là tài khoản dịch vụ của Telegram (quản trị viên ẩn danh của nhóm, kênh, thông báo của Telegram), không phải một người: không cấp vai trò được.
staff-err-unknown-district = Không có đơn vị «{ $given }». Ghi mã hoặc tên đơn vị (xem <code>loa units list</code>), ví dụ { $known }.
staff-err-root = Cán bộ phụ trách toàn tỉnh là vai trò board: <code>/grant { $id } board</code>.

cmd-whoami = Xem mã số Telegram và vai trò của mình
cmd-cells = Các chi bộ thuộc đơn vị mình và ai đã kết nối
cells-head = 🏘 <b>{ $unit }</b>: { $total } chi bộ · đã kết nối { $bound } · chưa kết nối { $unbound } · không liên lạc được { $unreachable }
cells-unit = <b>{ $unit }</b> ({ $bound }/{ $total } đã kết nối)
cells-unbound = {" "}— chưa kết nối
cells-unreachable = {" "}— không liên lạc được
cells-none = Không có chi bộ nào thuộc { $unit }.
cells-invite-hint = Cấp mã mời: <code>/invite MÃ_CHI_BỘ</code>.
invite-out-of-scope = Chi bộ «{ $code }» không thuộc đơn vị của đồng chí.
cmd-invite = Cấp mã mời cho một chi bộ
cmd-grant = Cấp vai trò cán bộ
cmd-revoke = Thu hồi vai trò cán bộ

## A pack as a cell sees it
pack-deadline = ⏰ Hạn xác nhận: { $date }
pack-report = 📝 Ban đề nghị báo cáo: { $prompt }
pack-attachments = 📎 Tư liệu kèm theo: { $count } tệp

## The scheduler tells the board
slot-empty = ⚠️ Đã đến kỳ gửi định hướng { $period } ({ $time }) nhưng chưa có định hướng nào cho kỳ này được lên lịch. Đồng chí soạn và lên lịch để gửi các chi bộ.
pack-started-late = ⚠️ Định hướng «{ $title }» đến hạn gửi lúc { $due } nhưng khi đó Loa không hoạt động; Loa đã bắt đầu gửi lúc { $now } (muộn { $minutes } phút).

## Composing a pack in chat (/newpack)
np-start = Soạn định hướng mới. Gõ /cancel bất cứ lúc nào để bỏ.
np-ask-kind = Bước 1/9 — Loại định hướng?
np-ask-period = Bước 2/9 — Kỳ: tháng (ví dụ <code>{ $month }</code>) hay quý (ví dụ <code>{ $quarter }</code>)?
np-ask-title = Bước 3/9 — Tiêu đề định hướng?
np-ask-body = Bước 4/9 — Nội dung định hướng (gõ hoặc dán; chữ đậm, nghiêng, liên kết được giữ nguyên).
np-ask-docs = Bước 5/9 — Gửi tư liệu kèm theo (tối đa { $max } tệp), từng tệp một; xong thì bấm «Xong».
np-doc-added = Đã nhận tệp «{ $name }» ({ $count }/{ $max }). Gửi tiếp, hoặc bấm «Xong».
np-ask-audience = Bước 6/9 — Gửi tới: «Tất cả», hoặc gõ tên huyện, nhãn hoặc mã chi bộ, cách nhau bằng dấu phẩy (ví dụ <code>Na Rì, NR-001</code>).
np-ask-deadline = Bước 7/9 — Hạn xác nhận (ngày/tháng/năm, ví dụ <code>{ $example }</code>), hoặc «Mặc định» ({ $days } ngày sau khi gửi).
np-ask-report = Bước 8/9 — Đề nghị chi bộ báo cáo gì? Gõ nội dung đề nghị, hoặc «Không».
np-ask-schedule = Bước 9/9 — Khi nào gửi? «Gửi ngay», «Theo kỳ» (lịch gửi tháng/quý), «Để nháp», hoặc gõ thời điểm <code>ngày/tháng/năm giờ:phút</code>.
np-preview = <b>Xem trước</b> — tin nhắn dưới đây là đúng như chi bộ sẽ nhận (sau { $docs } tệp tư liệu), kèm nút «✅ Đã nhận»{ $report }.
np-summary = Gửi tới { $cells } chi bộ ({ $active } đã kết nối); { $when }. Thời gian gửi ước tính: { $estimate }. Bấm «Xác nhận» để lưu, hoặc «Huỷ».
np-when-now = gửi ngay khi xác nhận
np-when-slot = gửi theo kỳ
np-when-draft = lưu nháp, chưa lên lịch
np-when-at = gửi lúc { $time }
np-saved-draft = Đã lưu định hướng số { $id } ở dạng nháp.
np-saved-scheduled = Đã lưu định hướng số { $id }, lên lịch gửi lúc { $time }.
np-saved-unscheduled = Đã lưu định hướng số { $id } ở dạng nháp; chưa lên lịch được: { $reason }
sched-err-no-pack = không có định hướng số { $id }
sched-err-status = định hướng số { $id } đang ở trạng thái «{ $status }»: chỉ định hướng nháp hoặc đã lên lịch mới lên lịch lại được
sched-err-past = thời điểm { $time } đã qua
sched-err-no-local-time = không có giờ { $time } theo múi giờ đã cấu hình (lúc đổi giờ)
sched-err-no-slot = chỉ định hướng tháng và quý mới gửi theo kỳ
sched-err-slot-passed = đã qua thời điểm gửi theo kỳ của { $period }; hãy chọn gửi ngay hoặc vào một thời điểm
sched-err-deadline = hạn xác nhận { $deadline } trước thời điểm gửi { $send }
np-cancelled = Đã bỏ định hướng đang soạn.
np-nothing = Không có gì đang soạn.
np-retry = { $problem } Đồng chí nhập lại.
np-bad-kind = Chọn một trong các loại có sẵn.
np-bad-period = Kỳ chưa đúng: { $reason }.
period-err-not = «{ $given }» không phải là một kỳ: tháng viết như «Tháng 10/2023» hoặc «2023-10», quý viết như «Quý IV/2023» hoặc «2023-Q4»
period-err-year = «{ $given }»: năm phải từ 2000 đến 2100
period-err-quarter = «{ $given }»: quý chỉ từ I đến IV (1 đến 4)
period-err-month = «{ $given }»: tháng chỉ từ 1 đến 12
period-err-month-needed = định hướng tháng cần một tháng, ví dụ «Tháng 10/2023»
period-err-quarter-needed = định hướng quý cần một quý, ví dụ «Quý IV/2023»
np-bad-text = Cần gõ nội dung bằng chữ.
np-bad-title-long = Tên định hướng dài { $count } ký tự; tối đa { $max } ký tự.
np-bad-body-format = Nội dung có định dạng mà Telegram không nhận. Đồng chí gõ hoặc dán lại nội dung, bớt định dạng (đậm, nghiêng, liên kết vẫn dùng được).
np-bad-doc = Cần gửi tệp (tài liệu), hoặc bấm «Xong».
np-bad-doc-type = Tệp «{ $name }» không thuộc loại được nhận ({ $types }).
np-too-many-docs = Đã đủ { $max } tệp; bấm «Xong».
np-bad-audience = Không tìm thấy «{ $token }» trong danh sách huyện, nhãn hay mã chi bộ.
np-empty-audience = Không có chi bộ nào thuộc đối tượng này.
np-bad-date = Ngày chưa đúng; gõ theo dạng ngày/tháng/năm, ví dụ { $example }, không trước hôm nay.
np-bad-schedule = Thời điểm chưa đúng; gõ «Gửi ngay», «Theo kỳ», «Để nháp» hoặc ngày/tháng/năm giờ:phút.
np-bad-confirm = Bấm «Xác nhận» để lưu, hoặc «Huỷ».
np-too-long = Tin nhắn sẽ dài { $length } ký tự, quá giới hạn { $max } của Telegram; rút gọn nội dung hoặc đưa vào tệp tư liệu.
np-busy = Đồng chí đang soạn dở một định hướng (bước { $step }). Trả lời tiếp, hoặc gõ /cancel để bỏ.
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
word-back = ⬅️ Quay lại
np-preview-button = Đây là bản xem trước: nút này dùng được trong tin nhắn gửi tới chi bộ.
packs-none = Chưa có định hướng nào.
packs-line = <b>#{ $id }</b> { $title } — { $status }{ $progress }
packs-progress = : { $acked }/{ $targeted } chi bộ đã nhận
status-draft = nháp
status-scheduled = đã lên lịch { $time }
status-sending = đang gửi
status-sent = đã gửi
status-cancelled = đã huỷ
cmd-newpack = Soạn định hướng mới
cmd-packs = Các định hướng gần đây
cmd-cancel = Bỏ việc đang làm

## Progress of a broadcast, for its author
progress = Đang gửi { $pack }: { $done }/{ $total } ({ $percent }%) · { $failed } không gửi được · còn { $left }
progress-paused = Đã tạm dừng gửi { $pack }: { $done }/{ $total } ({ $percent }%). Gõ /resume để gửi tiếp.
progress-done = ✅ Đã gửi xong { $pack }: { $sent }/{ $total } chi bộ nhận được.
progress-unreachable = { $count } chi bộ không gửi được:
progress-failed = ⛔ Đã dừng gửi { $pack }: Telegram từ chối nội dung ({ $reason }). Đã gửi { $sent }/{ $total }. Sửa định hướng rồi gửi lại.
progress-cancelled = Đã huỷ gửi { $pack }: { $sent }/{ $total } chi bộ đã nhận trước khi huỷ.
pause-ok = Đã tạm dừng gửi { $pack }. Gõ /resume để gửi tiếp.
resume-ok = Đang gửi tiếp { $pack }.
pause-none = Không có đợt gửi nào đang chạy.
resume-none = Không có đợt gửi nào đang tạm dừng.
cmd-pause = Tạm dừng đợt gửi đang chạy
cmd-resume = Gửi tiếp đợt đã tạm dừng
np-preview-report = {" "}và «📝 Báo cáo»
reason-blocked = đã chặn Loa
reason-deactivated = tài khoản đã bị xoá
reason-not-found = không còn cuộc trò chuyện
reason-removed = Loa đã bị xoá khỏi nhóm

## Cells: acknowledging, reporting, their packs
cmd-report = Báo cáo kết quả thực hiện một định hướng
cmd-remind = Nhắc ngay các chi bộ chưa xác nhận
button-invalid = Nút này không thuộc về định hướng nào đã gửi tới cuộc trò chuyện này, nên Loa không ghi nhận.
ack-recorded = Đã ghi nhận. Cảm ơn đồng chí!
ack-recorded-late = Đã ghi nhận (sau hạn). Cảm ơn đồng chí!
ack-already = Chi bộ đã xác nhận trước đó: { $name }, lúc { $time }. Không cần bấm lại.
ack-not-saved = Loa chưa lưu được xác nhận do trục trặc ở máy chủ. Xin đồng chí bấm lại sau ít phút.
ack-button-done = ✅ { $name } đã nhận lúc { $time }
resend-started = Loa đang gửi lại tư liệu.
resend-pending = Tư liệu đang được gửi lại, đồng chí chờ trong giây lát.
cell-only = Lệnh này dùng trong cuộc trò chuyện của chi bộ đã kết nối với Loa.
report-none-open = Chi bộ hiện không có định hướng nào cần báo cáo.
report-choose = Chi bộ có nhiều định hướng cần báo cáo. Đồng chí chọn định hướng muốn báo cáo:
report-not-asked = Ban không đề nghị báo cáo về { $pack }.
report-closed = Đã quá hạn của { $pack }: báo cáo đã gửi không sửa được nữa.
report-gone = Định hướng của báo cáo này không còn nhận báo cáo. Đã bỏ báo cáo đang viết.
report-cancelled = Đã bỏ báo cáo đang viết. Bấm «📝 Báo cáo» hoặc gõ /report để viết lại.
report-intro =
    { $who } báo cáo về { $pack }.
    <i>{ $prompt }</i>
    Loa hỏi 4 câu; đồng chí trả lời từng câu bằng cách trả lời (reply) tin nhắn câu hỏi. Gõ /cancel để bỏ.
report-correcting = Chi bộ đã gửi báo cáo lúc { $time }; báo cáo mới sẽ thay báo cáo đó (báo cáo cũ vẫn được lưu).
report-ask-date = { $who }, câu 1/4: chi bộ sinh hoạt, quán triệt định hướng này ngày nào? Ghi theo ngày/tháng/năm, ví dụ 05/10/2023.
report-ask-date-hint = ngày/tháng/năm
report-ask-attendance = { $who }, câu 2/4: có bao nhiêu đảng viên dự buổi sinh hoạt? Ghi một số, ví dụ 18.
report-ask-attendance-hint = số đảng viên dự
report-ask-text = { $who }, câu 3/4: tóm tắt kết quả thực hiện và tình hình tư tưởng, dư luận (không quá { $max } ký tự).
report-ask-text-hint = kết quả, dư luận
report-ask-attachment = { $who }, câu 4/4: gửi kèm một ảnh hoặc một tệp (biên bản, ảnh buổi sinh hoạt) nếu có; nếu không, trả lời «Không».
report-ask-attachment-hint = ảnh, tệp, hoặc «Không»
report-skip = Không
report-bad-date = Loa chưa đọc được ngày này. Đồng chí ghi theo ngày/tháng/năm, ví dụ 05/10/2023.
report-no-such-day = Ngày này không có trên lịch. Đồng chí kiểm tra lại ngày và tháng.
report-future-date = Ngày này chưa tới. Đồng chí ghi ngày chi bộ đã sinh hoạt.
report-old-date = Ngày này đã quá một năm. Đồng chí ghi ngày chi bộ sinh hoạt về định hướng này.
report-bad-count = Số đảng viên dự cần là một số, ví dụ 18.
report-count-range = Số đảng viên dự cần từ 1 đến { $max }.
report-empty = Nội dung báo cáo đang trống. Đồng chí viết vài dòng về kết quả thực hiện.
report-too-long = Nội dung dài { $count } ký tự, quá { $max } ký tự cho phép. Đồng chí rút gọn rồi gửi lại.
report-file-too-big = { $who }, tệp «{ $name }» lớn hơn { $mb } MB nên Loa không tải được. Đồng chí gửi ảnh hoặc tệp nhỏ hơn, hoặc trả lời «không».
report-bad-attachment = { $who }, câu này cần một ảnh hoặc một tệp, hoặc trả lời «Không».
report-saved =
    ✅ Đã ghi nhận báo cáo về { $pack }:
    • Ngày sinh hoạt: { $date }
    • Số đảng viên dự: { $attendance }
    • Nội dung: { $body }
    • { $attachment }
report-saved-corrected =
    ✅ Đã ghi nhận báo cáo sửa đổi về { $pack } (thay báo cáo trước):
    • Ngày sinh hoạt: { $date }
    • Số đảng viên dự: { $attendance }
    • Nội dung: { $body }
    • { $attachment }
report-with-photo = Kèm 1 ảnh
report-with-document = Kèm 1 tệp
report-without-attachment = Không có tệp kèm
report-late-note = Báo cáo được gửi sau hạn.
report-until = Chi bộ có thể sửa báo cáo đến hết ngày { $date } bằng nút «📝 Báo cáo».
cell-packs-none = Chưa có định hướng nào được gửi tới chi bộ.
cell-packs-title = <b>Định hướng gần đây của chi bộ</b>
cell-pack-line =
    { $pack }
    Nhận ngày { $sent } · hạn { $deadline }
    { $ack }{ $report }
cell-pack-acked = ✅ đã xác nhận ({ $name }, { $time })
cell-pack-not-acked = ⏳ chưa xác nhận
cell-pack-reported = {" "}· 📝 đã báo cáo lúc { $time }
cell-pack-not-reported = {" "}· 📝 chưa báo cáo
cell-pack-resend = 📎 Gửi lại tư liệu: { $pack }
remind-cell = ⏰ Nhắc: chi bộ chưa xác nhận đã nhận { $pack }. Hạn xác nhận: { $date }. Đồng chí bấm «✅ Đã nhận» bên dưới.
resent-note = 📎 Tư liệu của { $pack } được gửi lại theo yêu cầu của chi bộ.

## Reminders and escalation, for staff
remind-usage = «{ $given }» không phải số định hướng. Gõ <code>/remind</code> (định hướng gửi gần nhất) hoặc <code>/remind 12</code>.
remind-no-pack = Chưa có định hướng nào đã gửi để nhắc.
remind-not-sent = Định hướng #{ $given } không có hoặc chưa được gửi.
remind-started = Đang gửi lời nhắc tới { $cells } chi bộ chưa xác nhận { $pack }.
remind-nobody = Không có chi bộ nào cần nhắc về { $pack }: tất cả đã xác nhận hoặc đã được nhắc hôm nay.
behind-not-acked = chưa xác nhận
behind-not-reported = đã xác nhận, chưa báo cáo
escalate-district = ⚠️ Đã quá hạn { $deadline } của { $pack }: { $behind }/{ $targeted } chi bộ của { $district } chưa xác nhận hoặc chưa báo cáo:
escalate-board = 📊 Đã quá hạn { $deadline } của { $pack }: { $acked }/{ $targeted } chi bộ đã xác nhận ({ $ack_pct }%).
escalate-board-reports = Đã báo cáo: { $reported }/{ $targeted } ({ $pct }%).
escalate-board-line = • { $district }: { $behind }/{ $targeted } chi bộ chưa xong
escalate-board-all-done = Tất cả chi bộ đã xong.
escalate-board-worst = Các đơn vị còn chậm, chậm nhất trước:

## Figures for staff
cmd-stats = Số liệu một định hướng theo đơn vị (hoặc: /stats trend)
cmd-pending = Các chi bộ chưa xác nhận
cmd-export = Xuất bảng tính số liệu và báo cáo
cmd-chart = Biểu đồ tỉ lệ xác nhận, báo cáo theo đơn vị
stats-private-only = Lệnh { $command } chỉ dùng trong cuộc trò chuyện riêng với Loa, để số liệu không lộ ra nhóm.
staff-private-only = Lệnh { $command } chỉ dùng trong cuộc trò chuyện riêng với Loa.
stats-usage = «{ $given }» không phải số định hướng. Ví dụ: <code>/stats</code>, <code>/stats 12</code>, <code>/stats trend</code>, <code>/pending 12 Xã Na Rì</code>, <code>/stats 12 theo 2</code>, <code>/export 12 csv</code>.
stats-none = Chưa có định hướng nào được gửi, nên chưa có số liệu.
stats-no-pack = Không có định hướng #{ $id }.
stats-late-joined = Trong đó { $count } chi bộ kết nối sau khi định hướng đã gửi, được gửi bù.
stats-head =
    📊 <b>{ $pack }</b> (#{ $id })
    Đã gửi tới { $delivered }/{ $targeted } chi bộ · không gửi được { $unreachable }
    Đã xác nhận { $acked } ({ $ack_pct }) · muộn { $late }
    Đã báo cáo { $reported } ({ $report_pct })
stats-col-district = Đơn vị
stats-col-delivered = Nhận
stats-col-acked = XN
stats-col-reported = BC
stats-trend-head-monthly = 📈 <b>Định hướng tháng: tỉ lệ theo { $level }, các kỳ gần đây</b>
stats-trend-head-quarterly = 📈 <b>Định hướng quý: tỉ lệ theo { $level }, các kỳ gần đây</b>
stats-view = <b>{ $within }</b>, theo { $level }:
stats-not-connected = Chưa kết nối: { $count } chi bộ trong đối tượng chưa nối với Loa (tính vào tỉ lệ).
stats-not-connected-units = Chưa kết nối: { $units }
stats-more-rows = … và { $count } đơn vị khác (xem /export).
stats-no-unit = Không có đơn vị «{ $given }» (ghi mã hoặc tên đơn vị, ví dụ <code>/stats 12 XA-NARI</code>).
stats-unit-ambiguous = Có nhiều đơn vị tên «{ $given }»; xin ghi mã đơn vị: { $codes }.
stats-out-of-scope = Đơn vị «{ $given }» không thuộc phạm vi của đồng chí.
stats-bad-level = «{ $given }» không phải cấp nào. Ghi số cấp (1 là các đơn vị trực thuộc tỉnh) hoặc tên cấp: { $levels }.
stats-no-scope = Tài khoản cán bộ của đồng chí chưa gắn với đơn vị nào; xin liên hệ Ban để được cấp lại quyền.
stats-cells-head = 📋 <b>{ $unit }</b> — { $pack }: { $acked }/{ $base } chi bộ đã xác nhận (✅ đã xác nhận, ⏳ chưa, 📝 đã báo cáo, ⛔ chưa kết nối)
stats-drill = ▸ { $name }
stats-sit-head = 📋 <b>Báo cáo tình hình { $span }</b> — { $within }: { $total } báo cáo, { $urgent } khẩn, { $handled } đã xử lý
stats-sit-span-days = { $days } ngày qua
stats-sit-col-unit = Đơn vị
stats-sit-more-units = … và { $count } đơn vị nữa (xem /export tinhhinh)
export-sit-caption = 📋 Báo cáo tình hình { $span } — { $within }: theo chủ đề, theo đơn vị và từng báo cáo.
chart-sit-title = Báo cáo tình hình { $span } — { $within }
stats-sit-col-topic = Chủ đề
stats-sit-col-total = Số
stats-sit-col-urgent = Khẩn
stats-sit-col-handled = XL
stats-trend-acked = Đã xác nhận:
stats-trend-reported = Đã báo cáo:
pending-none = Mọi chi bộ đã nhận { $pack } đều đã xác nhận.
pending-head = ⏳ <b>{ $count } chi bộ chưa xác nhận { $pack }</b>
pending-unreachable = {" "}(không gửi được)
chart-trend-title = Tỉ lệ xác nhận theo đơn vị, các kỳ gần đây
chart-acked = Đã xác nhận
chart-reported = Đã báo cáo

## Situation reports
cmd-tinhhinh = Báo cáo tình hình (trong nhóm chi bộ, hoặc cán bộ trong trò chuyện riêng)
sit-who = Lệnh /tinhhinh dùng trong nhóm hoặc cuộc trò chuyện của chi bộ đã kết nối với Loa, hoặc cán bộ dùng trong cuộc trò chuyện riêng với Loa.
sit-intro = { $who }, đồng chí báo cáo tình hình gửi { $board }: Loa hỏi lần lượt chủ đề, mức độ, địa điểm, nội dung, rồi ảnh hoặc tệp nếu có. Gõ /cancel để thôi.
sit-ask-topic =
    { $who }, chủ đề nào? Trả lời bằng số:
    { $topics }
sit-ask-topic-hint = Số chủ đề, ví dụ 1
sit-ask-severity = { $who }, mức độ? 1 — Thường, 2 — Cần chú ý, 3 — Khẩn (báo ngay cho cán bộ phụ trách và Ban).
sit-ask-severity-hint = 1, 2 hoặc 3
sit-ask-place = { $who }, ở đâu (thôn, xã, địa điểm)?
sit-ask-place-hint = Ví dụ: thôn Nà Pài, xã Bằng Vân
sit-ask-text = { $who }, nội dung tình hình (tối đa { $max } ký tự)?
sit-ask-text-hint = Nội dung
sit-ask-files = { $who }, gửi ảnh hoặc tệp kèm theo nếu có (tối đa { $files }), rồi gõ «xong». Không có thì gõ «không».
sit-ask-files-hint = Ảnh, tệp, hoặc «xong»
sit-done-word = xong
sit-bad-topic = { $who }, «{ $given }» không phải chủ đề trong danh sách. Trả lời bằng số của chủ đề.
sit-bad-severity = { $who }, mức độ là 1 (Thường), 2 (Cần chú ý) hoặc 3 (Khẩn).
sit-empty = { $who }, câu trả lời đang trống.
sit-too-long = { $who }, nội dung dài { $count } ký tự, quá { $max } ký tự cho phép. Đồng chí rút gọn rồi gửi lại.
sit-file-too-big = { $who }, tệp «{ $name }» lớn hơn { $mb } MB nên Loa không tải được. Đồng chí gửi tệp nhỏ hơn, hoặc gõ «xong».
sit-too-many-files = { $who }, mỗi báo cáo kèm tối đa { $max } ảnh hoặc tệp. Gõ «xong» để gửi báo cáo.
sit-file-taken = { $who }, Loa đã nhận tệp thứ { $count }.
sit-bad-file = { $who }, Loa chờ ảnh hoặc tệp; gõ «xong» khi đã gửi hết, hoặc «không» nếu không có.
sit-gone = Báo cáo tình hình này không còn; đồng chí gõ /tinhhinh để báo cáo lại.
sit-cancelled = Đã thôi báo cáo tình hình; chưa có gì được gửi.
sit-request-title = Báo cáo tình hình { $period }
sit-request-body =
    { $board } đề nghị các chi bộ báo cáo tình hình tư tưởng của cán bộ, đảng viên và dư luận xã hội trên địa bàn trong { $period }: những vấn đề nổi lên, vụ việc phức tạp, ý kiến, kiến nghị của Nhân dân.

    Bấm «📝 Báo cáo» dưới tin này (hoặc gõ /tinhhinh) và trả lời lần lượt: chủ đề, mức độ, địa điểm, nội dung; có thể gửi kèm ảnh, tệp. Chủ đề:
    { $topics }

    Tình hình ổn định, không có gì mới: chọn chủ đề cuối và ghi «Tình hình ổn định».
sit-request-prompt = Báo cáo tình hình { $period } (bấm «📝 Báo cáo», hoặc gõ /tinhhinh)
sit-intro-request = { $who }, đồng chí báo cáo tình hình theo đề nghị { $pack } của { $board }: Loa hỏi lần lượt chủ đề, mức độ, địa điểm, nội dung, rồi ảnh hoặc tệp nếu có. Gõ /cancel để thôi.
sit-severity-normal = Thường
sit-severity-attention = Cần chú ý
sit-severity-urgent = Khẩn
sit-saved = Đã ghi nhận báo cáo tình hình số { $id } ({ $topic }, mức độ { $severity }, { $files } tệp). Ban và cán bộ phụ trách sẽ xem trong hộp thư.
sit-saved-urgent = Đã ghi nhận báo cáo tình hình KHẨN số { $id } ({ $topic }, { $files } tệp) và chuyển ngay tới cán bộ phụ trách và Ban.
sit-urgent-alert =
    🔴 <b>Báo cáo tình hình KHẨN số { $id }</b>
    Từ: { $from } ({ $unit })
    Chủ đề: { $topic }
    Địa điểm: { $place }
    Người báo: { $who }

    { $body }

    Xem và xử lý: <code>/inbox { $id }</code>
cmd-inbox = Hộp thư báo cáo tình hình (trong phạm vi của mình)
inbox-usage = «{ $given }» chưa rõ. Cách dùng: <code>/inbox</code> (danh sách), <code>/inbox 12</code> (mở), <code>/inbox 12 tl nội dung</code> (trả lời chi bộ), <code>/inbox 12 len ghi chú</code> (chuyển lên cấp trên), <code>/inbox 12 xong ghi chú</code> (đã xử lý).
inbox-head = 📥 <b>Hộp thư báo cáo tình hình</b>: { $new } mới · { $seen } đã xem · { $handled } đã xử lý
inbox-empty = Không có báo cáo nào đang chờ xử lý.
inbox-status-new = mới
inbox-status-seen = đã xem
inbox-status-handled = đã xử lý
inbox-unsent = {" "}· chưa chuyển được
inbox-open-hint = Mở một báo cáo: <code>/inbox SỐ</code>.
inbox-no-report = Không có báo cáo tình hình số { $id } trong phạm vi của đồng chí.
inbox-report =
    { $mark } <b>Báo cáo tình hình số { $id }</b> — { $severity }
    Chủ đề: { $topic }
    Từ: { $from }
    Địa điểm: { $place }
    Người báo: { $who }, { $time }
    Tình trạng: { $status } · { $files } tệp

    { $body }
inbox-handled-note = Ghi chú xử lý: { $note }
inbox-unsent-note = ⚠️ Báo cáo khẩn này chưa chuyển được tới ai khi gửi.
inbox-actions = Trả lời chi bộ: <code>/inbox { $id } tl nội dung</code> · Chuyển lên: <code>/inbox { $id } len ghi chú</code> · Đã xử lý: <code>/inbox { $id } xong ghi chú</code>
inbox-file-missing = Tệp «{ $name }» của báo cáo không còn trong kho của Loa.
inbox-answer-to-cell = 📩 Trả lời báo cáo tình hình số { $id } ({ $topic }):
    { $text }
inbox-replied = Đã gửi trả lời báo cáo số { $id } tới chi bộ.
inbox-forward-top = Ban là cấp cao nhất: không có cấp trên để chuyển báo cáo lên.
inbox-forwarded = Đã chuyển báo cáo số { $id } lên cấp trên ({ $count } người nhận).
inbox-forwarded-to =
    ⬆️ { $mark } <b>Báo cáo tình hình số { $id }</b> được { $by } chuyển lên
    Chủ đề: { $topic }
    Từ: { $from }
    Địa điểm: { $place }

    { $body }

    Ghi chú: { $note }
    Xem: <code>/inbox { $id }</code>
inbox-handled = Đã đánh dấu báo cáo số { $id } là đã xử lý.
inbox-already-handled = Báo cáo số { $id } đã được đánh dấu xử lý từ trước.
cmd-hoi = Câu hỏi của chi bộ về các định hướng: xem và trả lời
cmd-tep = Tệp, ảnh chi bộ gửi kèm báo cáo (theo số báo cáo trong bảng tính)
tep-usage = «{ $given }» chưa rõ. Cách dùng: <code>/tep 12</code>, với 12 là số báo cáo (cột «Số báo cáo» của bảng tính /export).
tep-no-report = Không có báo cáo số { $id } trong phạm vi của đồng chí.
tep-none = Báo cáo số { $id } của { $cell } (<code>{ $code }</code>) không kèm tệp.
tep-not-kept = Tệp của báo cáo số { $id } ({ $cell }) được gửi trước khi Loa lưu tệp về máy, nên Loa không có bản lưu.
tep-missing = Loa không đọc được tệp đã lưu của báo cáo số { $id } ({ $cell }); đề nghị quản trị viên kiểm tra thư mục lưu tệp.
tep-caption = Tệp kèm báo cáo số { $id } — { $cell } ({ $code })
q-text-only = Câu hỏi về định hướng cần có chữ: đồng chí gõ câu hỏi (bấm «❓ Hỏi» dưới tin định hướng, hoặc trả lời (reply) tin đó).
q-ask-prompt = { $who }, đồng chí gõ câu hỏi về { $pack } (tối đa { $max } ký tự) rồi gửi. Gõ /cancel để thôi.
q-ask-prompt-hint = Câu hỏi của đồng chí
q-not-a-pack = Tin đồng chí trả lời không phải tin định hướng. Để hỏi Ban về một định hướng, bấm «❓ Hỏi» dưới tin định hướng đó, hoặc trả lời (reply) chính tin đó.
q-cancelled = Đã thôi đặt câu hỏi.
cmd-hoidap = Trả lời một câu hỏi cho mọi chi bộ đã nhận định hướng (hỏi đáp)
faq-usage = «{ $given }» chưa rõ. Cách dùng: <code>/hoidap 12 nội dung trả lời</code> (câu hỏi chưa trả lời) hoặc <code>/hoidap 12</code> (gửi câu trả lời đã có tới mọi chi bộ).
faq-already = Câu trả lời câu hỏi số { $id } đã được gửi tới mọi chi bộ từ trước.
faq-answered-before = Câu hỏi số { $id } đã được trả lời. Gõ <code>/hoidap { $id }</code> (không kèm nội dung) để gửi câu trả lời đó tới mọi chi bộ.
faq-started = 💬 Đang gửi trả lời câu hỏi số { $id } về «{ $pack }» tới { $cells } chi bộ đã nhận định hướng; câu hỏi và trả lời được lưu vào phần hỏi đáp của định hướng.
faq-cell =
    💬 <b>Hỏi đáp về { $pack }</b>
    Hỏi: { $question }
    Đáp: { $answer }
q-too-long = Câu hỏi dài { $count } ký tự, quá { $max } ký tự cho phép. Đồng chí rút gọn rồi gửi lại.
q-asked = ❓ Đã gửi câu hỏi số { $id } về { $pack } tới { $board }. Câu trả lời sẽ được gửi về đây.
q-to-staff =
    ❓ <b>Câu hỏi số { $id }</b> về «{ $pack }»
    Từ: { $cell } (<code>{ $code }</code>), { $who }

    { $body }

    Trả lời chi bộ này: <code>/hoi { $id } nội dung</code>
    Trả lời mọi chi bộ (ban): <code>/hoidap { $id } nội dung</code>
q-none-open = Không có câu hỏi nào đang chờ trả lời.
q-open-head = ❓ <b>{ $count } câu hỏi đang chờ trả lời</b> (trả lời: <code>/hoi SỐ nội dung</code>)
q-usage = «{ $given }» chưa rõ. Cách dùng: <code>/hoi</code> (các câu hỏi chờ trả lời) hoặc <code>/hoi 12 nội dung trả lời</code>.
q-no-question = Không có câu hỏi số { $id } trong phạm vi của đồng chí.
q-answered-already = Câu hỏi số { $id } đã được trả lời trước đó.
q-answered = Đã gửi trả lời câu hỏi số { $id } tới { $cell }.
q-answer-to-cell =
    💬 <b>Trả lời câu hỏi về «{ $pack }»</b>
    Hỏi: { $question }
    Đáp: { $answer }

## The quarterly summary (loa report quarter)
qr-title = Báo cáo tổng hợp { $quarter }
qr-within = Phạm vi
qr-packs-sent = Định hướng đã gửi
qr-requests = đề nghị báo cáo tình hình
qr-delivered = Lượt chi bộ nhận định hướng
qr-acknowledged = Lượt xác nhận
qr-reported = Lượt báo cáo
qr-not-connected = Lượt chi bộ chưa kết nối
qr-situations = Báo cáo tình hình
qr-handled-word = đã xử lý
qr-urgent = Vụ việc khẩn
qr-questions = Câu hỏi của chi bộ
qr-questions-value = { $asked } câu hỏi, { $answered } đã trả lời, { $faq } trả lời chung cho mọi chi bộ
qr-status-new = Mới
qr-status-seen = Đã xem
qr-status-handled = Đã xử lý
qr-unsent = Chưa chuyển được tới ai
qr-generated = Lập lúc { $time } từ dữ liệu của Loa.
qr-none = Không có.
qr-sheet-summary = Tổng hợp
qr-sheet-packs = Định hướng đã gửi
qr-sheet-units = Tiếp nhận theo đơn vị
qr-sheet-topics = Tình hình theo chủ đề
qr-sheet-urgent = Vụ việc khẩn
qr-col-pack = Định hướng
qr-col-period = Kỳ
qr-col-sent = Gửi lúc
qr-col-kind = Loại
qr-kind-guidance = Định hướng
qr-kind-request = Đề nghị báo cáo tình hình
qr-col-delivered = Đã nhận
qr-col-acked = Đã xác nhận
qr-col-ack-rate = Tỷ lệ xác nhận
qr-col-late = Trễ hạn
qr-col-reported = Đã báo cáo
qr-col-report-rate = Tỷ lệ báo cáo
qr-col-not-connected = Chưa kết nối
qr-col-code = Mã
qr-col-situations = Báo cáo tình hình
qr-col-urgent = Khẩn
qr-col-topic = Chủ đề
qr-col-total = Tổng
qr-col-handled = Đã xử lý
qr-col-number = Số
qr-col-time = Thời gian
qr-col-unit = Đơn vị
qr-col-from = Nơi gửi
qr-col-place = Địa điểm
qr-col-content = Nội dung
qr-col-status = Tình trạng
qr-col-handling = Xử lý

## The web desk (/web, and the pages in the browser). Plain text or Telegram HTML; arguments
## marked "user" are escaped.
cmd-web = Đường liên kết đăng nhập bàn làm việc trên web
web-link =
    🖥 <b>Bàn làm việc trên web</b>

    Mở đường liên kết sau để đăng nhập (dùng được một lần, trong { $minutes } phút, chỉ cho đồng chí):
    { $url }

    Đừng chuyển đường liên kết này cho người khác.
web-sign-in-title = Đăng nhập
web-sign-in-explain = Bấm nút dưới đây để đăng nhập bàn làm việc của Loa. Phiên làm việc kéo dài 8 giờ.
web-sign-in-button = Đăng nhập
web-how-to-sign-in = Để đăng nhập, gõ /web trong cuộc trò chuyện riêng với Loa trên Telegram rồi mở đường liên kết Loa gửi.
web-signed-out = Đồng chí chưa đăng nhập.
web-session-over = Phiên làm việc đã hết hạn hoặc đã đăng xuất.
web-signed-out-now = Đã đăng xuất.
web-no-role = Đồng chí không còn vai trò cán bộ trong Loa; phiên làm việc đã kết thúc.
web-link-unknown = Đường liên kết đăng nhập không đúng (có thể bị cắt mất một phần).
web-link-used = Đường liên kết đăng nhập này đã được dùng. Mỗi đường liên kết chỉ dùng được một lần.
web-link-expired = Đường liên kết đăng nhập này đã hết hạn (chỉ dùng được trong 10 phút).
web-link-not-staff = Người nhận đường liên kết này không còn vai trò cán bộ trong Loa.
web-sign-out = Đăng xuất
web-role-admin = quản trị
web-role-board = cán bộ Ban
web-role-district = cán bộ cơ sở
web-nav-overview = Tổng quan
web-nav-packs = Định hướng
web-nav-units = Đơn vị, chi bộ
web-nav-inbox = Hộp thư
web-nav-audit = Nhật ký
web-refused-title = Không thực hiện được
web-refused-role = Việc này chỉ cán bộ Ban hoặc quản trị được làm.
web-refused-not-sent = Định hướng này chưa được gửi đi.
web-refused-cancel = Định hướng này không thể huỷ (đã gửi xong hoặc đã huỷ).
web-bad-form = Biểu mẫu đã cũ hoặc không hợp lệ. Hãy tải lại trang rồi thử lại.
web-not-found-title = Không tìm thấy
web-not-found = Không có mục này, hoặc mục này nằm ngoài phạm vi của đồng chí.
web-failed-title = Có lỗi
web-overview-title = Tổng quan
web-card-cells = chi bộ
web-card-connected = đã kết nối Loa
web-card-inbox-new = báo cáo tình hình mới
web-in-flight = Đang gửi
web-in-flight-none = Không có đợt gửi nào đang chạy.
web-latest = Tiếp nhận các định hướng gần đây
web-urgent = Báo cáo tình hình khẩn chưa xem
web-urgent-none = Không có báo cáo khẩn nào chưa xem.
web-broadcast-running = đang gửi
web-broadcast-paused = tạm dừng
web-broadcast-done = đã gửi xong
web-broadcast-cancelled = đã huỷ
web-broadcast-failed = bị Telegram từ chối
web-col-pack = Định hướng
web-col-progress = Tiến độ
web-col-state = Trạng thái
web-col-status = Tình trạng
web-col-targeted = Chi bộ nhận
web-col-delivered = Đã tới
web-col-unreachable = Không tới được
web-col-acked = Đã xác nhận
web-col-reported = Đã báo cáo
web-col-behind = Chưa xác nhận
web-col-not-connected = Chưa kết nối
web-col-unit = Đơn vị
web-col-level = Cấp
web-col-cell = Chi bộ
web-col-cells = Số chi bộ
web-col-cells-own = Chi bộ trực thuộc (đã kết nối / tổng)
web-col-cells-below = Toàn bộ chi bộ (đã kết nối / tổng)
web-col-code = Mã
web-col-reason = Lý do
web-col-topic = Chủ đề
web-col-from = Nơi gửi
web-col-when = Thời gian
web-col-severity = Mức độ
web-col-place = Địa bàn
web-col-chat = Cuộc trò chuyện
web-col-last-seen = Hoạt động gần nhất
web-col-invite = Mã mời
web-col-who = Người thực hiện
web-col-action = Việc
web-col-subject = Đối tượng
web-col-outcome = Kết quả
web-col-details = Chi tiết
web-packs-title = Các định hướng
web-deadline = Hạn xác nhận
web-audience = Gửi tới
web-remind = Nhắc các chi bộ chưa xác nhận
web-pause = Tạm dừng gửi
web-resume = Gửi tiếp
web-cancel = Huỷ
web-cancel-confirm = Huỷ định hướng này? Các chi bộ chưa nhận sẽ không được gửi nữa.
web-download-xlsx = Tải bảng tính (.xlsx)
web-download-csv = Tải CSV
web-download-png = Tải biểu đồ (PNG)
web-delivery = Tình hình gửi
web-delivery-pending = chờ gửi
web-delivery-sending = đang gửi
web-delivery-sent = đã tới
web-delivery-failed = không tới được
web-delivery-cancelled = đã huỷ
web-by-unit = Theo đơn vị
web-chart-alt = Biểu đồ tỉ lệ xác nhận và báo cáo theo đơn vị
web-cells-here = Chi bộ trực thuộc
web-cells-none = Không có chi bộ nào trực thuộc đơn vị này.
web-cell-acknowledged = đã xác nhận
web-cell-delivered = đã nhận, chưa xác nhận
web-cell-unreachable = không tới được
web-cell-sending = đang gửi
web-cell-not-connected = chưa kết nối
web-behind = Chi bộ chưa xác nhận
web-behind-none = Không còn chi bộ nào chưa xác nhận.
web-behind-more = Đang hiện { $shown } trong số { $count } chi bộ; bảng tính có đủ danh sách.
web-behind-unreachable = không tới được: { $why }
web-documents = Tư liệu
web-documents-none = Định hướng này không có tư liệu kèm theo.
web-body = Nội dung (như chi bộ nhận được)
web-done-remind = Đã bắt đầu nhắc { $cells } chi bộ.
web-done-remind-nobody = Không có chi bộ nào cần nhắc (đã xác nhận, hoặc đã được nhắc hôm nay).
web-done-pause = Đã tạm dừng đợt gửi.
web-done-resume = Đã cho gửi tiếp.
web-done-cancel = Đã huỷ định hướng.
web-done-revoked = Đã thu hồi { $count } mã mời.
web-units-title = Đơn vị và chi bộ
web-units-explain = Mở một đơn vị để xem các chi bộ, cấp hoặc thu hồi mã mời, tải danh sách mã mời.
web-subunits = Đơn vị trực thuộc
web-cell-status-unbound = chưa kết nối
web-cell-status-active = đã kết nối
web-cell-status-unreachable = không liên lạc được
web-cell-status-retired = đã giải thể
web-chat-private = trò chuyện riêng
web-chat-group = nhóm
web-chat-supergroup = nhóm
web-chat-channel = kênh
web-invite = Cấp mã mời
web-invite-new = Cấp mã mới
web-invite-revoke = Thu hồi mã
web-invite-sheet = Tải danh sách mã mời (CSV) cho các chi bộ chưa kết nối
web-invite-sheet-all = cấp mã mới cho mọi chi bộ, kể cả đã kết nối
web-invites-nobody = Mọi chi bộ ở đây đã kết nối; chọn «cấp mã mới cho mọi chi bộ» nếu cần chuyển cuộc trò chuyện.
web-invite-title = Mã mời mới
web-invite-code = Mã mời
web-invite-private = Bí thư mở trong trò chuyện riêng
web-invite-group = Thêm Loa vào nhóm chi bộ
web-invite-once = Mã chỉ dùng được một lần, tới
web-no-bot-username = Loa chưa biết tên bot trên Telegram nên chưa tạo được đường liên kết mời.
web-back = Quay lại
web-inbox-title = Hộp thư báo cáo tình hình
web-inbox-all = Tất cả
web-inbox-empty = Không có báo cáo nào.
web-report-title = Báo cáo tình hình số { $id }
web-files = Ảnh, tệp kèm theo
web-reply = Trả lời chi bộ
web-reply-send = Gửi trả lời
web-handle = Đánh dấu đã xử lý
web-handle-note = Ghi chú cách xử lý
web-handle-button = Đã xử lý
web-handled-already = Báo cáo này đã được đánh dấu xử lý.
web-text-empty = Nội dung còn trống.
web-text-long = Nội dung dài quá 3.000 ký tự.
web-audit-title = Nhật ký hoạt động
web-audit-words = Tìm theo việc, đối tượng, chi tiết
web-audit-user = Mã số Telegram của người thực hiện
web-audit-search = Tìm
web-audit-none = Không có dòng nào khớp.
web-audit-bad-user = Mã số Telegram phải là một số; bộ lọc này đã được bỏ qua.
web-older = Cũ hơn
web-compose-title = Soạn định hướng mới
web-compose-problems = Chưa lưu được: hãy sửa các mục sau.
web-compose-documents-again = Hãy chọn lại các tệp tư liệu (trình duyệt không giữ tệp đã chọn sau khi gửi).
web-compose-kind = Loại
web-compose-period = Kỳ (tháng: 2026-12; quý: 2026-Q4)
web-compose-title-field = Tiêu đề
web-compose-body = Nội dung (Markdown)
web-compose-body-help = **đậm**, *nghiêng*, [chữ](https://địa-chỉ), danh sách bắt đầu bằng «- ». Phần xem trước dưới đây là đúng như chi bộ sẽ thấy trên Telegram.
web-compose-preview = Xem trước
web-compose-attachments = Tư liệu kèm theo (tối đa 10 tệp, mỗi tệp tối đa 50 MB)
web-compose-audience = Gửi tới
web-compose-audience-help = Không chọn gì: gửi mọi chi bộ. Chọn đơn vị: mọi chi bộ thuộc đơn vị đó.
web-compose-tags = Nhãn (cách nhau bởi dấu phẩy)
web-compose-cells = Mã chi bộ (cách nhau bởi dấu phẩy)
web-compose-deadline = Hạn xác nhận (bỏ trống: theo số ngày mặc định của Ban sau khi gửi)
web-compose-report = Đề nghị báo cáo (bỏ trống: không yêu cầu báo cáo)
web-compose-schedule = Thời điểm gửi
web-compose-save = Lưu định hướng
web-kind-monthly = Hằng tháng
web-kind-quarterly = Hằng quý
web-kind-thematic = Chuyên đề
web-kind-urgent = Khẩn
web-when-draft = Lưu bản nháp, gửi sau
web-when-now = Gửi ngay
web-when-slot = Gửi vào đợt tháng/quý
web-when-at = Gửi lúc
web-schedule = Gửi đi
web-schedule-bad-time = Thời điểm gửi không đúng dạng.
web-schedule-refused = Chưa lên lịch được: { $why }
web-estimate = Gửi tới { $cells } chi bộ ({ $active } đã kết nối), mỗi chi bộ { $messages } tin, { $rate } tin/giây: { $time }.
web-done-created = Đã lưu định hướng (bản nháp).
web-done-scheduled = Đã lên lịch gửi định hướng.
web-audience-all = mọi chi bộ
web-audience-districts = huyện { $list }
web-audience-units = đơn vị { $list }
web-audience-tags = nhãn { $list }
web-audience-cells = chi bộ { $list }
web-behind-many = Còn { $count } chi bộ chưa xác nhận: mở từng đơn vị ở bảng trên để xem danh sách, hoặc tải bảng tính.
web-compose-more-units = Đơn vị cấp dưới (mã đơn vị, cách nhau bởi dấu phẩy)
web-questions = Câu hỏi của chi bộ chưa được trả lời
web-question-answer = Câu trả lời
web-question-to-cell = Trả lời chi bộ hỏi
web-question-to-all = Trả lời mọi chi bộ đã nhận định hướng (hỏi đáp)
web-question-long = Câu trả lời dài quá 1.000 ký tự.
web-question-answered = Câu hỏi này đã được trả lời; câu trả lời đầu tiên được giữ.
web-done-answered = Đã gửi câu trả lời câu hỏi số { $id } tới chi bộ.
web-done-faq = Đang gửi câu trả lời câu hỏi số { $id } tới { $cells } chi bộ đã nhận định hướng.
web-forward = Báo cáo lên cấp trên
web-forward-note = Ý kiến kèm theo (không bắt buộc)
web-forward-button = Gửi lên cấp trên
web-sign-in-busy = Có quá nhiều lượt đăng nhập trong một phút. Xin đợi một phút rồi thử lại.
