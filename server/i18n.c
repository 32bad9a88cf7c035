/* i18n.c -- the UI's words: Vietnamese by default, English on request
 * (?lang=en, or an Accept-Language starting with "en"). */
#include <string.h>

#include "server.h"
#include "util/common.h"

static const struct { const char *key, *vi, *en; } msgs[] = {
	{ "app", "Chancery — Hệ thống văn bản điện tử", "Chancery — document workflow" },
	{ "inbox", "Văn bản chờ xử lý", "Awaiting my action" },
	{ "documents", "Văn bản", "Documents" },
	{ "new_document", "Văn bản mới", "New document" },
	{ "people", "Cán bộ và khóa ký", "People and keys" },
	{ "audit", "Kiểm tra chữ ký", "Audit" },
	{ "logout", "Đăng xuất", "Log out" },
	{ "login", "Đăng nhập", "Log in" },
	{ "identifier", "Tên đăng nhập", "Identifier" },
	{ "full_name", "Họ và tên", "Full name" },
	{ "password", "Mật khẩu đăng nhập", "Login password" },
	{ "passphrase", "Cụm từ ký (mỗi lần ký)", "Signing passphrase (asked at every signature)" },
	{ "title", "Trích yếu", "Title" },
	{ "type", "Loại văn bản", "Type" },
	{ "state", "Trạng thái", "State" },
	{ "unit", "Đơn vị", "Unit" },
	{ "urgency", "Độ khẩn", "Urgency" },
	{ "due", "Hạn xử lý", "Due" },
	{ "number", "Số, ký hiệu", "Number" },
	{ "text", "Nội dung (Markdown)", "Text (Markdown)" },
	{ "upload", "Hoặc tải lên tệp văn bản / Markdown", "Or upload a text / Markdown file" },
	{ "skeleton", "Mẫu theo Nghị định 30/2020/NĐ-CP", "Decree 30/2020 skeleton" },
	{ "recipients", "Nơi nhận (cơ quan đại diện)", "Recipients (missions)" },
	{ "comment", "Ý kiến", "Comment" },
	{ "search", "Tìm", "Search" },
	{ "filter", "Lọc", "Filter" },
	{ "history", "Lịch sử xử lý", "History" },
	{ "progress", "Tiến trình", "Progress" },
	{ "awaiting", "Đang chờ", "Awaiting" },
	{ "quorum", "cần", "quorum" },
	{ "so_far", "đã có", "so far" },
	{ "diff", "So sánh bản", "Compare revisions" },
	{ "revise", "Sửa văn bản", "Revise" },
	{ "attachments", "Tài liệu đính kèm", "Attachments" },
	{ "attach", "Đính kèm tệp", "Attach a file" },
	{ "detach", "Gỡ tệp đính kèm", "Detach" },
	{ "declare_unclassified", "Tôi xác nhận tệp này không chứa bí mật nhà nước (tệp không đọc được, loại được phép:",
	  "I declare this file unclassified (a file the scanner cannot read; types allowed:" },
	{ "create", "Tạo", "Create" },
	{ "submit", "Trình", "Submit" },
	{ "approve", "Duyệt", "Approve" },
	{ "return", "Trả lại để sửa", "Return for revision" },
	{ "reject", "Từ chối", "Reject" },
	{ "sign", "Ký ban hành", "Sign" },
	{ "publish", "Phát hành", "Publish" },
	{ "withdraw", "Rút lại", "Withdraw" },
	{ "normal", "Thường", "Normal" },
	{ "urgent", "Khẩn", "Urgent" },
	{ "very-urgent", "Thượng khẩn", "Very urgent" },
	{ "flash", "Hỏa tốc", "Flash" },
	{ "good", "chữ ký hợp lệ", "signature good" },
	{ "bad", "chữ ký KHÔNG hợp lệ", "signature BAD" },
	{ "unsigned", "không có chữ ký", "not signed" },
	{ "unknown-key", "khóa không có trong chính sách", "key not in the policy" },
	{ "signer", "Người ký", "Signer" },
	{ "by", "bởi", "by" },
	{ "for", "thay mặt", "for" },
	{ "nothing", "Không có văn bản nào.", "Nothing here." },
	{ "conflict", "Người khác đã xử lý văn bản này trước bạn. Không có gì bị ghi; ý kiến của bạn được giữ lại bên dưới.",
	  "Someone acted on this document first. Nothing was recorded; your comment is kept below." },
	{ "done", "Đã ghi và ký.", "Recorded and signed." },
	{ "roles", "Vai trò", "Roles" },
	{ "add_person", "Thêm cán bộ", "Add a person" },
	{ "new_passphrase", "Cụm từ ký của người mới", "The new person's signing passphrase" },
	{ "admin_passphrase", "Cụm từ ký của quản trị viên", "Your signing passphrase (admin)" },
	{ "delegate", "Ủy quyền", "Delegation" },
	{ "from", "Từ", "From" },
	{ "to", "Cho", "To" },
	{ "fingerprint", "Dấu vân tay khóa", "Key fingerprint" },
	{ "revoked", "đã thu hồi", "revoked" },
	{ "verified", "Mọi bước đã được xác minh.", "Every step verified." },
	{ "findings", "Phát hiện", "Findings" },
	{ "access_history", "Nhật ký truy cập văn bản", "Access history of" },
	{ "who", "Người đọc", "Who" },
	{ "what", "Nội dung đã xem", "What was read" },
	{ "warnings", "Cảnh báo", "Warnings" },
	{ "language", "English", "Tiếng Việt" },
	{ "lang_other", "en", "vi" },
	{ "error", "Lỗi", "Error" },
	{ "save", "Lưu và ký", "Save and sign" },
	{ "enrol", "Kích hoạt tài khoản", "Open your account" },
	{ "account", "Tài khoản và khóa của tôi", "My account and keys" },
	{ "enrol_code", "Mã kích hoạt (dùng một lần)", "Enrolment code (one-time)" },
	{ "new_password", "Mật khẩu đăng nhập mới", "New login password" },
	{ "old_password", "Mật khẩu đăng nhập hiện tại", "Current login password" },
	{ "own_passphrase", "Cụm từ ký mới (khóa do máy chủ giữ)", "New signing passphrase (server-held key)" },
	{ "old_passphrase", "Cụm từ ký hiện tại", "Current signing passphrase" },
	{ "make_device_key", "Tạo khóa ký trong trình duyệt này (không thể xuất ra)",
	  "Make a signing key in this browser (it cannot be exported)" },
	{ "device_label", "Tên thiết bị", "Device label" },
	{ "pending_keys", "Khóa chờ phê duyệt", "Keys awaiting approval" },
	{ "approve_key", "Phê duyệt sau khi đối chiếu dấu vân tay", "Approve after comparing fingerprints" },
	{ "custody", "Nơi giữ khóa", "Custody" },
	{ "keys", "Khóa ký", "Signing keys" },
	{ "workflow", "Quy trình", "Workflow" },
	{ "classification", "Mức phân loại", "Classification" },
	{ "steps", "Số bước", "Steps" },
	{ "from_rev", "Từ bản", "From" },
	{ "to_rev", "Đến bản", "To" },
	{ "show", "Xem", "Show" },
	{ "list", "Văn bản", "Documents" },
	{ "security", "Sự kiện an ninh", "Security events" },
	{ "security_note", "Các lần hệ thống từ chối tài liệu mang dấu phân loại (không lưu nội dung).",
	  "Each time a door refused material carrying a classification marking (content never kept)." },
	{ "security_events", "Các lần từ chối", "Refusals" },
	{ "spills", "Thu hồi do lộ lọt", "Spills" },
	{ "spills_note", "Mỗi văn bản bị thu hồi: cơ quan đại diện nhận văn bản đã áp dụng việc thu hồi "
	  "chưa (theo nhật ký ký số của cơ quan đó lưu tại đây).",
	  "Each spilled document: whether each site that received it has applied the spill "
	  "(as its signed log, kept here, records)." },
	{ "spill_by", "Cán bộ an ninh", "Officer" },
	{ "spill_recipient", "Nơi nhận", "Recipient site" },
	{ "spill_ack", "Đã áp dụng", "Applied" },
	{ "spill_ack_entry", "Mục nhật ký", "Log entry" },
	{ "spill_applied", "đã áp dụng", "applied" },
	{ "spill_not_yet", "chưa áp dụng", "not yet" },
	{ "spill_no_log", "chưa có nhật ký từ nơi này", "no log from that site yet" },
	{ "spill_log_seq", "số", "seq" },
	{ "when", "Thời gian", "When" },
	{ "door", "Cửa vào", "Door" },
	{ "rule", "Quy tắc", "Rule" },
	{ "level", "Mức", "Level" },
	{ "count", "Số lần", "Times" },
	{ "last_seen", "Lần cuối", "Last" },
	{ "events_total", "Tổng số sự kiện:", "Events in all:" },
	{ "page", "trang", "page" },
	{ "newer", "Mới hơn", "Newer" },
	{ "older", "Cũ hơn", "Older" },
	{ "new", "Văn bản mới", "New document" },
	{ "doc", "Văn bản", "Document" },
	/* messages (the route table's refusals, pages.c) */
	{ "not-found", "Không tìm thấy, hoặc không thuộc quyền của bạn.",
	  "Not found, or not for your roles." },
	{ "csrf", "Biểu mẫu không hợp lệ (kiểm tra CSRF). Không có gì được ghi.",
	  "The form is stale or comes from another site (CSRF check failed). Nothing was recorded." },
	{ "login-missing", "Cần nhập tên đăng nhập và mật khẩu.", "Identifier and password are required." },
	{ "login-throttled", "Đăng nhập sai quá nhiều lần: hãy thử lại sau.",
	  "Too many failed logins: try again later." },
	{ "login-wrong", "Sai tên đăng nhập hoặc mật khẩu.", "Wrong identifier or password." },
	{ "act-missing", "Hãy chọn thao tác và nhập cụm từ ký.",
	  "Choose an action and give your signing passphrase." },
	/* formats: one %s each, in this order */
	{ "spilled-fmt", "Văn bản %s đã bị thu hồi (lộ lọt) lúc %s theo quyết định của cán bộ an ninh; "
	  "không còn được cung cấp.",
	  "Document %s was withdrawn (spillage) on %s by the security officer; it is no longer served." },
	{ "conflict-kept-fmt", "Xung đột: %s đã ghi các bước khác với các bước tại đây; chúng được giữ lại "
	  "để xem xét, không mất gì.",
	  "Conflict: %s recorded other steps on this document than this site did; they are kept for "
	  "review, nothing is lost." },
};

const char *srv_msg(int lang_en, const char *key)
{
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(msgs); i++)
		if (!strcmp(msgs[i].key, key))
			return lang_en ? msgs[i].en : msgs[i].vi;
	return key;
}

json_t *srv_messages(int lang_en)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(msgs); i++) {
		char k[64];
		size_t j;

		/* template names cannot hold '-': very-urgent -> very_urgent */
		snprintf(k, sizeof(k), "%s", msgs[i].key);
		for (j = 0; k[j]; j++)
			if (k[j] == '-')
				k[j] = '_';
		json_object_set_new(o, k, json_string(lang_en ? msgs[i].en : msgs[i].vi));
	}
	return o;
}
