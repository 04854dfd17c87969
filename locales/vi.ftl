# Tiếng Việt: the default language of everything Loa says.
# Arguments marked "user" in the code are HTML-escaped before they get here.

welcome-private =
    Xin chào { $name }!

    Đây là <b>Loa</b> — kênh Ban Tuyên giáo Tỉnh ủy gửi định hướng tuyên truyền hằng tháng, hằng quý và tư liệu đi kèm tới các chi bộ.

    Nếu đồng chí là bí thư chi bộ, hãy mở đường liên kết mời mà Ban đã gửi cho chi bộ mình để kết nối chi bộ với Loa. Từ đó, mỗi định hướng mới sẽ được gửi tới đây; đồng chí bấm «✅ Đã nhận» để xác nhận đã nhận và «📝 Báo cáo» để gửi báo cáo ngắn.

    Gõ /help để xem các lệnh.

welcome-group =
    Xin chào các đồng chí trong nhóm «{ $title }»!

    Đây là <b>Loa</b> — kênh Ban Tuyên giáo Tỉnh ủy gửi định hướng tuyên truyền hằng tháng, hằng quý và tư liệu đi kèm tới các chi bộ. Để kết nối nhóm này với chi bộ, đồng chí bí thư hãy thêm Loa vào nhóm bằng đường liên kết mời của chi bộ.

    Gõ /help để xem các lệnh.

help =
    <b>Loa — hướng dẫn sử dụng</b>

    Loa gửi định hướng tuyên truyền của Ban Tuyên giáo Tỉnh ủy tới chi bộ, kèm tư liệu. Khi nhận được, đồng chí bấm «✅ Đã nhận»; khi được yêu cầu báo cáo, bấm «📝 Báo cáo» và trả lời từng câu hỏi.

    <b>Các lệnh</b>
    /start — bắt đầu; mở kèm mã mời để kết nối chi bộ
    /help — xem hướng dẫn này
    /lang — đổi ngôn ngữ: <code>/lang vi</code> (Tiếng Việt) hoặc <code>/lang en</code> (English)

lang-set = Đã chuyển sang Tiếng Việt.
lang-usage = Ngôn ngữ «{ $given }» chưa có. Hãy gõ <code>/lang vi</code> (Tiếng Việt) hoặc <code>/lang en</code> (English).
not-understood = Loa chưa hiểu tin nhắn này. Gõ /help để xem các lệnh.
unknown-command = Lệnh «{ $command }» không có. Gõ /help để xem các lệnh.
error-generic = Xin lỗi, Loa gặp lỗi khi xử lý yêu cầu. Đồng chí vui lòng thử lại sau ít phút.

cmd-start = Bắt đầu; kèm mã mời để kết nối chi bộ
cmd-help = Hướng dẫn sử dụng
cmd-lang = Đổi ngôn ngữ (vi | en)
