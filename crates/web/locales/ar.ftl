# واجهة Concord على الويب — العربية (من اليمين إلى اليسار).

## الإطار
skip-to-content = انتقل إلى المحتوى
nav-label = التنقل الرئيسي
nav-dashboard = لوحة المعلومات
nav-browse = التصفح والبحث
nav-import = الاستيراد
nav-matching = المصادر والمطابقة
nav-admin = الإدارة
language-label = اللغة
signout = تسجيل الخروج
footer-text = Concord — تبادل معلومات التهديدات بين فرق الاستجابة للطوارئ الحاسوبية، مع احتفاظ كل عقدة بالسيادة على بياناتها.
back-to-dashboard = العودة إلى لوحة المعلومات
yes = نعم
no = لا

## التواريخ (UTC) والأعداد
month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر
date-format = { $day } { $month } { $year }
datetime-format = { $day } { $month } { $year }، { $time } (UTC)
objects-count =
    { $count ->
        [zero] لا كائنات
        [one] كائن واحد
        [two] كائنان
        [few] { $count } كائنات
        [many] { $count } كائنًا
       *[other] { $count } كائن
    }

## الأخطاء
error-title = حدث خطأ
error-not-found = هذه الصفحة غير موجودة.
error-no-object = هذا الكائن غير موجود في هذه العقدة، أو أن مستوى تصريحك لا يشمله.
error-forbidden = دورك لا يسمح بهذا الإجراء.
error-csrf = انتهت صلاحية النموذج أو أنه لم يُرسل من هذا الموقع. يُرجى المحاولة مرة أخرى.
error-internal = حدث خطأ داخلي (المرجع { $id }). يمكن للمشغّل العثور عليه في سجل العقدة.

## تسجيل الدخول
signin-title = تسجيل الدخول
signin-username = اسم المستخدم
signin-password = كلمة المرور
signin-submit = دخول
signin-failed = اسم المستخدم أو كلمة المرور غير صحيحة.
signin-locked = محاولات فاشلة كثيرة لاسم المستخدم هذا. أعد المحاولة بعد 15 دقيقة.
signin-locked-address = محاولات تسجيل دخول فاشلة كثيرة من هذا العنوان. أعد المحاولة بعد 15 دقيقة.

## لوحة المعلومات
dashboard-title = لوحة المعلومات
dashboard-total =
    { $count ->
        [zero] لا توجد كائنات يمكنك رؤيتها في هذه العقدة.
        [one] يمكنك رؤية كائن واحد في هذه العقدة.
        [two] يمكنك رؤية كائنين في هذه العقدة.
        [few] يمكنك رؤية { $count } كائنات في هذه العقدة.
        [many] يمكنك رؤية { $count } كائنًا في هذه العقدة.
       *[other] يمكنك رؤية { $count } كائن في هذه العقدة.
    }
dashboard-by-type = الكائنات حسب النوع
dashboard-by-tlp = الكائنات حسب مستوى TLP
dashboard-over-time =
    { $days ->
        [one] الكائنات المضافة في اليوم الأخير، حسب المصدر
        [two] الكائنات المضافة في اليومين الأخيرين، حسب المصدر
        [few] الكائنات المضافة في آخر { $days } أيام، حسب المصدر
        [many] الكائنات المضافة في آخر { $days } يومًا، حسب المصدر
       *[other] الكائنات المضافة في آخر { $days } يوم، حسب المصدر
    }
dashboard-other-types = أنواع أخرى
dashboard-other-sources = مصدر آخر أو بلا مصدر
dashboard-empty = لا توجد كائنات بعد.
dashboard-sightings = المشاهدات الأخيرة
dashboard-incidents = الحوادث الأخيرة
dashboard-no-sightings = لا توجد مشاهدات بعد.
dashboard-health = العقد النظيرة والمصادر والحوادث
dashboard-peers-none = لا توجد عقد نظيرة متصلة: لم يُضبط الاتحاد في هذه العقدة بعد.
dashboard-feeds-none = لا توجد مصادر بيانات مضبوطة في هذه العقدة.
dashboard-recent = أضيف مؤخرًا
chart-table = عرض الأرقام
chart-day = اليوم

## التصفح والبحث
browse-title = التصفح والبحث
browse-search = نص البحث (بأي لغة)
browse-type = النوع
browse-tlp = مستوى TLP
browse-label = الوسم
browse-source = المصدر (معرّف الهوية)
browse-from = أضيف من
browse-to = أضيف حتى
browse-any = الكل
browse-submit = بحث
browse-empty = لا يطابق أي كائن هذه المرشحات.
browse-shown =
    { $count ->
        [zero] لا كائنات في هذه الصفحة.
        [one] كائن واحد في هذه الصفحة.
        [two] كائنان في هذه الصفحة.
        [few] { $count } كائنات في هذه الصفحة.
        [many] { $count } كائنًا في هذه الصفحة.
       *[other] { $count } كائن في هذه الصفحة.
    }
browse-bad-text = نص البحث طويل جدًا (500 حرف على الأكثر).
browse-bad-type = هذا النوع ليس اسم نوع في STIX.
browse-bad-tlp = مستوى TLP غير معروف.
browse-bad-source = يجب أن يكون المصدر معرّف STIX مثل identity--…
browse-bad-date = تُكتب التواريخ بالصيغة YYYY-MM-DD.
browse-bad-cursor = رابط الصفحة هذا غير صالح؛ ابدأ من الصفحة الأولى.
pager-label = الصفحات
pager-first = الصفحة الأولى
pager-next = الصفحة التالية

## الأعمدة
col-name = الاسم
col-type = النوع
col-tlp = TLP
col-modified = آخر تعديل
col-added = تاريخ الإضافة
col-created = تاريخ الإنشاء
col-direction = الاتجاه
col-relationship = العلاقة
col-object = الكائن
col-kind = الصنف
col-value = القيمة المشتركة
col-status = الحالة
col-details = التفاصيل
col-actions = الإجراءات
col-indicator = المؤشر
col-count = العدد
col-first-seen = أول مشاهدة
col-last-seen = آخر مشاهدة
col-sighting = المشاهدة

## صفحة الكائن
object-fields = الخصائص
object-markings = العلامات
object-no-markings = لا علامات (يُعامل على أنه TLP:CLEAR).
object-relationships =
    { $count ->
        [zero] لا علاقات
        [one] علاقة واحدة
        [two] علاقتان
        [few] { $count } علاقات
        [many] { $count } علاقة
       *[other] { $count } علاقة
    }
object-correlations =
    { $count ->
        [zero] لا ارتباطات
        [one] ارتباط واحد
        [two] ارتباطان
        [few] { $count } ارتباطات
        [many] { $count } ارتباطًا
       *[other] { $count } ارتباط
    }
object-not-held = غير موجود في هذه العقدة
object-open-graph = مخطط الكائنات المرتبطة
object-json = عرض STIX JSON
direction-outgoing = يشير إلى
direction-incoming = يُشار إليه من
field-name = الاسم
field-description = الوصف
field-type = النوع
field-id = المعرّف
field-created = تاريخ الإنشاء
field-modified = آخر تعديل
field-created-by = أنشأه
field-labels = الوسوم
field-confidence = درجة الثقة
field-pattern = النمط
field-valid-from = صالح من
field-valid-until = صالح حتى
field-aliases = أسماء أخرى
field-first-seen = أول مشاهدة
field-last-seen = آخر مشاهدة
field-relationship-type = نوع العلاقة
field-source = المصدر
field-target = الهدف
field-value = القيمة
field-external-references = مراجع خارجية
field-kill-chain-phases = مراحل سلسلة الهجوم
field-revoked = ملغى
versions-heading =
    { $count ->
        [zero] لا إصدارات
        [one] إصدار واحد
        [two] إصداران
        [few] { $count } إصدارات
        [many] { $count } إصدارًا
       *[other] { $count } إصدار
    }
versions-current = الحالي
versions-compare-a = المقارنة من
versions-compare-b = المقارنة مع
versions-compare = عرض الفروق
diff-caption =
    { $count ->
        [zero] لا توجد خصائص مختلفة
        [one] خاصية واحدة مختلفة
        [two] خاصيتان مختلفتان
        [few] { $count } خصائص مختلفة
        [many] { $count } خاصية مختلفة
       *[other] { $count } خاصية مختلفة
    }
diff-property = الخاصية
diff-version = إصدار { $version }
diff-changed = تغيّرت
diff-added = أضيفت
diff-removed = حُذفت
diff-same =
    { $count ->
        [zero] لا توجد خصائص أخرى متطابقة.
        [one] خاصية أخرى واحدة متطابقة.
        [two] خاصيتان أخريان متطابقتان.
        [few] { $count } خصائص أخرى متطابقة.
        [many] { $count } خاصية أخرى متطابقة.
       *[other] { $count } خاصية أخرى متطابقة.
    }

## المخطط
graph-title = المخطط: { $name }
graph-svg-title = الكائنات المرتبطة بـ { $name }
graph-back = العودة إلى الكائن
graph-empty = لا توجد كائنات مرتبطة أو مترابطة يمكنك رؤيتها.
graph-legend = الخطوط المتصلة: العلاقات والإشارات. الخطوط المتقطعة: قيمة رصد مشتركة.
graph-nodes =
    { $count ->
        [zero] لا كائنات في المخطط
        [one] كائن واحد في المخطط
        [two] كائنان في المخطط
        [few] { $count } كائنات في المخطط
        [many] { $count } كائنًا في المخطط
       *[other] { $count } كائن في المخطط
    }

## الاستيراد
import-title = الاستيراد
import-file = STIX 2.1 أو MISP JSON أو CSAF 2.0 أو قائمة قيم (قيمة في كل سطر) أو ملف CSV
import-help = يُتعرَّف على الصيغة من المحتوى. يُفحص كل كائن وفق STIX 2.1؛ تُحفظ الكائنات الصالحة، ويُعرض كل كائن مرفوض مع الخاصية والقاعدة المخالفة.
import-submit = استيراد
import-no-file = اختر ملفًا أولًا.
import-not-stix = هذا الملف ليس مستند STIX: { $reason }
upload-failed = فشل الرفع: { $reason }
import-summary = جديدة: { $new }. إصدارات جديدة: { $versions }. دون تغيير: { $unchanged }. تعارضات: { $conflicts }. مرفوضة: { $rejected }.
import-results = النتيجة لكل كائن
import-accepted = مقبول
import-rejected = مرفوض
import-more-results =
    { $count ->
        [zero] ولا كائنات أخرى.
        [one] وكائن آخر.
        [two] وكائنان آخران.
        [few] و{ $count } كائنات أخرى.
        [many] و{ $count } كائنًا آخر.
       *[other] و{ $count } كائن آخر.
    }
import-another = استيراد ملف آخر
outcome-new = جديد
outcome-new-version = إصدار جديد
outcome-unchanged = موجود مسبقًا
outcome-conflict = تعارض: هذا الإصدار محفوظ بمحتوى مختلف

## المصادر والمطابقة
matching-title = المصادر والمطابقة
matching-file = ملف السجل
matching-format = الصيغة
matching-submit = المطابقة مع المؤشرات
matching-bad-format = صيغة سجل غير معروفة.
matching-not-ready = لا يزال فهرس المؤشرات قيد الإنشاء. أعد المحاولة بعد قليل.
matching-summary = الأسطر المقروءة: { $lines }. الرصدات: { $observations }. الأسطر المعيبة: { $malformed }. المشاهدات المسجلة: { $sightings }.
matching-none = لم يطابق هذا السجل أي مؤشر يمكنك رؤيته.
matching-sightings = المشاهدات
matching-errors = الأسطر المعيبة
matching-line = السطر { $line }
matching-another = مطابقة سجل آخر
feeds-heading = مصادر البيانات
format-eve = Suricata EVE (أسطر JSON)
format-zeek = Zeek (أسطر JSON)
format-ecs = Elastic Common Schema (أسطر JSON)
format-csv = CSV
format-lines = قيمة واحدة في كل سطر
format-stix = STIX observed-data

## الحساب
account-title = حسابي
account-profile = الملف الشخصي
account-name = اسم المستخدم
account-role = الدور
account-clearance = مستوى التصريح (TLP)
account-tokens = رموز API الخاصة بي
account-no-tokens = لا توجد رموز API.
account-new-token = رمز API جديد
account-token-name = الغرض من الرمز
account-create-token = إنشاء الرمز
account-token-created = أُنشئ الرمز.
account-token-once = انسخ هذا السر الآن: لن يُعرض إلا مرة واحدة.
account-token-invalid = أعطِ الرمز اسمًا (200 حرف على الأكثر) ودورًا لا يتجاوز دورك.
account-revoke = إلغاء
account-password = تغيير كلمة المرور
account-current-password = كلمة المرور الحالية
account-new-password = كلمة المرور الجديدة
account-confirm-password = أعد كتابة كلمة المرور الجديدة
account-change-password = تغيير كلمة المرور
password-mismatch = كلمتا المرور الجديدتان مختلفتان.
password-too-short = يجب ألا تقل كلمة المرور عن 10 أحرف.
password-too-long = يجب ألا تزيد كلمة المرور على 1024 حرفًا.
password-wrong = كلمة المرور الحالية غير صحيحة.
role-reader = قارئ
role-analyst = محلل
role-admin = مسؤول

## الإدارة
admin-title = الإدارة
admin-users =
    { $count ->
        [zero] لا مستخدمين
        [one] مستخدم واحد
        [two] مستخدمان
        [few] { $count } مستخدمين
        [many] { $count } مستخدمًا
       *[other] { $count } مستخدم
    }
admin-disabled = معطّل
admin-save = حفظ
admin-new-user = مستخدم جديد
admin-create-user = إنشاء المستخدم
admin-bad-name = يتكون اسم المستخدم من 1 إلى 64 حرفًا دون مسافات.
admin-bad-user = اختر دورًا ومستوى تصريح TLP صالحين.
admin-name-taken = اسم المستخدم { $name } مستخدم بالفعل.
admin-user-created = أُنشئ المستخدم { $name }.
admin-user-saved = حُفظت التغييرات.
admin-self = لا يمكنك خفض دورك أو تعطيل حسابك.
admin-tokens = جميع رموز API
admin-owner = المالك
admin-no-owner = لا أحد (أُنشئ بأمر)
admin-collections = مجموعات TAXII
admin-collections-root = جذر API: { $root }
admin-collection-filter = المحتوى
admin-collection-all = جميع الكائنات
admin-collection-read = القراءة
admin-collection-write = الكتابة

## العقد النظيرة والتدقيق
nav-peers = العقد النظيرة والتدقيق
peers-title = العقد النظيرة وسجل التدقيق
peers-heading =
    { $count ->
        [zero] لا عقد نظيرة
        [one] عقدة نظيرة واحدة
        [two] عقدتان نظيرتان
        [few] { $count } عقد نظيرة
        [many] { $count } عقدة نظيرة
       *[other] { $count } عقدة نظيرة
    }
peers-never = لم يحدث قط
col-url = العنوان
col-agreement = الاتفاقية
col-last-sync = آخر سحب
col-lag = التغييرات المتأخرة
col-received = الكائنات المستلمة
col-last-error = آخر خطأ
audit-heading = سجل تدقيق قرارات الإرسال
audit-verify = التحقق من السلسلة كاملة
audit-empty = لم يُسجَّل أي قرار إرسال بعد.
audit-intact =
    { $count ->
        [zero] سلسلة التدقيق سليمة (لا مدخلات للفحص).
        [one] سلسلة التدقيق سليمة (فُحص مدخل واحد).
        [two] سلسلة التدقيق سليمة (فُحص مدخلان).
        [few] سلسلة التدقيق سليمة (فُحصت { $count } مدخلات).
        [many] سلسلة التدقيق سليمة (فُحص { $count } مدخلًا).
       *[other] سلسلة التدقيق سليمة (فُحص { $count } مدخل).
    }
audit-broken = سلسلة التدقيق منقطعة عند المدخل { $n }: عُدّل أو حُذف.
col-at = الوقت
col-peer = العقدة النظيرة
col-verdict = القرار
col-hash = البصمة
verdict-send = أُرسل
verdict-send-redacted = أُرسل بعد الحجب
verdict-withhold = حُجب
dashboard-peers =
    { $count ->
        [zero] لا توجد عقد نظيرة متصلة.
        [one] عقدة نظيرة واحدة متصلة.
        [two] عقدتان نظيرتان متصلتان.
        [few] { $count } عقد نظيرة متصلة.
        [many] { $count } عقدة نظيرة متصلة.
       *[other] { $count } عقدة نظيرة متصلة.
    }
dashboard-peers-failing =
    { $count ->
        [zero] لم يفشل أي سحب أخير.
        [one] فشل آخر سحب لعقدة واحدة.
        [two] فشل آخر سحب لعقدتين.
        [few] فشل آخر سحب لـ{ $count } عقد.
        [many] فشل آخر سحب لـ{ $count } عقدة.
       *[other] فشل آخر سحب لـ{ $count } عقدة.
    }
object-provenance = المصدر
provenance-local = أُنشئ في هذه العقدة أو استُورد إليها (لم يُستلم من عقدة نظيرة).
provenance-origin = العقدة الأصلية
provenance-received-from = استُلم من
provenance-hops = مرات إعادة المشاركة المتبقية
provenance-redacted-by = حجبته
provenance-signer-revoked = مفتاح التوقيع ملغى
provenance-revoked-origin = ألغى { $community } مفتاح المصدر اعتبارًا من { $since }؛ وُقّعت هذه النسخة قبل ذلك وهي محفوظة.
provenance-revoked-redactor = ألغى { $community } مفتاح العقدة التي حجبت البيانات اعتبارًا من { $since }؛ وُقّعت هذه النسخة قبل ذلك وهي محفوظة.

## الحوادث
nav-incidents = الحوادث
incidents-title = الحوادث
incidents-empty = لا توجد في هذه العقدة حوادث يمكنك رؤيتها.
incident-status = حالة التحقيق
incident-determination = الحكم
incident-severity = الخطورة
incident-origin = فتحته
incident-local = هذه العقدة
incident-alert = إنذار
incident-object = الحادثة ككائن STIX
incident-state = الحالة
versions-heading-plain = الإصدارات
incident-acks = إقرارات استلام الإنذار (الجولة { $round })
incident-overdue = متأخر
incident-timeline = التسلسل الزمني
incident-timeline-empty = لم يحدث شيء بشأن هذه الحادثة بعد.
incident-said-by = الجهة القائلة
kind-incident = حادثة
kind-ack = إقرار استلام
kind-request = طلب مساعدة
kind-request-response = رد على طلب
kind-custody = سلسلة الحيازة
kind-constituency-notification = إشعار للجهة المخدومة

## شرح سياسة الإرسال
object-open-policy = ما ستتلقاه كل عقدة نظيرة
policy-title = ما ستتلقاه كل عقدة نظيرة: { $name }
policy-title-plain = ما ستتلقاه كل عقدة نظيرة
policy-no-federation = هذه العقدة ليست في اتحاد: لا يخرج منها شيء.
policy-changed = الخصائص المعدّلة أو المحذوفة في النسخة المرسلة:
policy-rule = القاعدة
policy-effect = الأثر
policy-why = السبب (شرح السياسة)
effect-allow = تسمح
effect-deny = تحجب
effect-redact = تحذف بيانات
effect-detect = تكتشف فئة
import-read-as = قُرئ بصيغة: { $format }
import-problems =
    { $count ->
        [zero] لا سجلات تعذّر تحويلها
        [one] تعذّر تحويل سجل واحد
        [two] تعذّر تحويل سجلين
        [few] تعذّر تحويل { $count } سجلات
        [many] تعذّر تحويل { $count } سجلًا
       *[other] تعذّر تحويل { $count } سجل
    }
import-format-stix = STIX 2.1
import-format-misp = MISP JSON
import-format-csaf = نشرة CSAF 2.0
import-format-lines = قيمة في كل سطر
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = تعذّرت قراءة ملف من ملفات المصادر: { $reason }
feeds-not-configured = (لم يعد موجودًا في concord.toml)
feeds-never-run = لم يُشغَّل بعد.
feeds-ok = لا شيء
feeds-errors =
    { $count ->
        [zero] لا أخطاء
        [one] خطأ واحد
        [two] خطآن
        [few] { $count } أخطاء
        [many] { $count } خطأً
       *[other] { $count } خطأ
    }
feeds-more-errors =
    { $count ->
        [zero] ولا أخطاء أخرى.
        [one] وخطأ آخر.
        [two] وخطآن آخران.
        [few] و{ $count } أخطاء أخرى.
        [many] و{ $count } خطأً آخر.
       *[other] و{ $count } خطأ آخر.
    }
col-last-run = آخر تشغيل
col-new = جديدة
col-new-versions = إصدارات جديدة
col-unchanged = دون تغيير
col-expired = منتهية الصلاحية
col-rejected = مرفوضة أو غير قابلة للتحويل
col-errors = الأخطاء
# Import jobs
import-uploading = جارٍ رفع الملف
import-recent = عمليات الاستيراد الأخيرة
import-running = قيد التنفيذ
import-failed = فشل
import-busy = لديك عمليات استيراد قيد التنفيذ بالفعل. انتظر حتى تنتهي إحداها.
import-full = الخادم مشغول بعمليات استيراد أخرى. أعد المحاولة بعد قليل.
import-job-unknown = لا توجد عملية الاستيراد هذه. تُحفظ عمليات الاستيراد لمدة ساعة، ولا يراها إلا المستخدم الذي بدأها.
import-file-name = الملف:
import-bytes = الحجم بالبايت: { $count }
import-reading = جارٍ قراءة الملف وتحويله
import-progress = الكائنات المخزّنة: { $done }
# Live notifications
nav-notifications = الإشعارات
live-label = الإشعارات المباشرة
live-new = كائن جديد من نوع { $type }: { $name }
notifications-title = الإشعارات
notifications-no-subscription = لا يوجد اشتراك ويب يشملك. يمكن للمسؤول إضافة اشتراك في response.toml: ‏[[subscription]] مع web = true أو web = ["اسم المستخدم الخاص بك"].
notifications-none = لا إشعارات منذ بدء تشغيل الخادم.
notifications-recent = الإشعارات الأخيرة
col-subscription = الاشتراك
feeds-line = آخر تشغيل { $date }: جديدة { $new }، إصدارات جديدة { $versions }، مرفوضة أو غير قابلة للتحويل { $rejected }.
import-layout = بنية القائمة أو ملف CSV
import-layout-auto = التعرّف عليها من المحتوى
import-bad-layout = لا توجد بنية معروفة باسم «{ $name }». اختر واحدة من القائمة.
import-format-csv = قائمة أو ملف CSV بالبنية المختارة

## المجتمع (المسألة 24)
nav-community = المجتمع
community-title = مجتمع { $name }
community-title-plain = المجتمع
community-proposals-title = مقترحات { $name }
community-log-title = سجل { $name }
community-not-found = هذه العقدة ليست عضوًا في مجتمع بهذا الاسم.
community-none = هذه العقدة ليست عضوًا في أي مجتمع. يُؤسَّس المجتمع بالأمر `concord community create`، ويُنضم إليه بتقديم طلب إلى أحد الأعضاء.
community-choose = هذه العقدة عضو في عدة مجتمعات. اختر واحدًا:
community-pages = صفحات المجتمع
community-overview = الأعضاء والميثاق
community-proposals = المقترحات
community-history = السجل
community-kind-admit = قبول عضو
community-kind-suspend = تعليق عضوية عضو
community-kind-readmit = إعادة قبول عضو
community-kind-expel = طرد عضو
community-kind-revoke-key = إلغاء مفتاح
community-kind-change-charter = تعديل الميثاق
community-kind-define = اعتماد تعريف
community-status-active = نشط
community-status-suspended = معلَّق
community-status-expelled = مطرود
community-threshold-count =
    { $count ->
        [zero] لا أعضاء
        [one] عضو واحد
        [two] عضوان
        [few] { $count } أعضاء
        [many] { $count } عضوًا
       *[other] { $count } عضو
    }
community-threshold-fraction = { $fraction } من الأعضاء الذين يحق لهم التصويت
community-days =
    { $count ->
        [zero] لا أيام
        [one] يوم واحد
        [two] يومان
        [few] { $count } أيام
        [many] { $count } يومًا
       *[other] { $count } يوم
    }
community-hours =
    { $count ->
        [zero] لا ساعات
        [one] ساعة واحدة
        [two] ساعتان
        [few] { $count } ساعات
        [many] { $count } ساعة
       *[other] { $count } ساعة
    }
community-minutes =
    { $count ->
        [zero] لا دقائق
        [one] دقيقة واحدة
        [two] دقيقتان
        [few] { $count } دقائق
        [many] { $count } دقيقة
       *[other] { $count } دقيقة
    }
community-founded = تأسس في { $date }
community-entries-counted =
    { $count ->
        [zero] لا قيود محتسبة في السجل
        [one] قيد واحد محتسب في السجل
        [two] قيدان محتسبان في السجل
        [few] { $count } قيود محتسبة في السجل
        [many] { $count } قيدًا محتسبًا في السجل
       *[other] { $count } قيد محتسب في السجل
    }
community-entries-refused =
    { $count ->
        [zero] لا قيود مرفوضة
        [one] قيد واحد مرفوض
        [two] قيدان مرفوضان
        [few] { $count } قيود مرفوضة
        [many] { $count } قيدًا مرفوضًا
       *[other] { $count } قيد مرفوض
    }
community-charter = الميثاق
community-col-decision = القرار
community-col-threshold = النصاب
community-col-needed-now =
    { $count ->
        [zero] الأصوات المؤيدة اللازمة دون أعضاء نشطين
        [one] الأصوات المؤيدة اللازمة مع عضو نشط واحد
        [two] الأصوات المؤيدة اللازمة مع عضوين نشطين
        [few] الأصوات المؤيدة اللازمة مع { $count } أعضاء نشطين
        [many] الأصوات المؤيدة اللازمة مع { $count } عضوًا نشطًا
       *[other] الأصوات المؤيدة اللازمة مع { $count } عضو نشط
    }
community-col-period = مدة التصويت
community-col-sponsors = الكفلاء
community-members =
    { $count ->
        [zero] لا أعضاء
        [one] عضو واحد
        [two] عضوان
        [few] { $count } أعضاء
        [many] { $count } عضوًا
       *[other] { $count } عضو
    }
community-col-organisation = الجهة
community-col-country = البلد
community-col-sectors = القطاعات
community-col-since = عضو منذ
community-col-fingerprint = بصمة المفتاح
community-col-refused-here = مرفوض من هذه العقدة
community-refused = مرفوض
community-refusals = المرفوضون من هذه العقدة
community-refusals-none = لا ترفض هذه العقدة أي عضو في هذا المجتمع.
community-refusals-about = لا تتبادل هذه العقدة أي بيانات مع هؤلاء الأعضاء، أيًّا كان قرار المجتمع (`concord community refuse`).
community-equivocations = أصوات متناقضة
community-equivocations-about = وقّع هؤلاء الأعضاء قيدين متناقضين؛ يُحتسب الأول ورُفض الثاني.
community-definitions = تعريفات المجتمع
community-definitions-none = لم يُعتمد أي تعريف بعد.
community-state-open = مفتوح
community-state-expired = انتهت مدته دون قرار
community-state-passed = مُعتمد
community-state-failed = مرفوض
community-state-superseded = حلّ محله
community-yes = نعم
community-no = لا
community-proposed-by = اقترحه { $member }
community-yes-votes = الأصوات المؤيدة
community-no-votes = الأصوات المعارضة
community-needed = المطلوب
community-needed-of =
    { $count ->
        [zero] { $needed } أصوات مؤيدة دون أعضاء يحق لهم التصويت
        [one] { $needed } أصوات مؤيدة من عضو واحد يحق له التصويت
        [two] { $needed } أصوات مؤيدة من عضوين يحق لهما التصويت
        [few] { $needed } أصوات مؤيدة من { $count } أعضاء يحق لهم التصويت
        [many] { $needed } أصوات مؤيدة من { $count } عضوًا يحق لهم التصويت
       *[other] { $needed } أصوات مؤيدة من { $count } عضو يحق لهم التصويت
    }
community-time-left = الوقت المتبقي
community-votes-cast = الأصوات المُدلى بها
community-col-member = العضو
community-col-vote = الصوت
community-vote-yes = صوّت بنعم
community-vote-no = صوّت بلا
community-voted-already = صوّتت هذه العقدة: { $choice }.
community-cannot-vote = لا يحق لهذه العقدة التصويت على هذا المقترح.
community-propose = اقتراح قرار
community-propose-about = يُوقَّع المقترح بمفتاح هذه العقدة ويُحتسب صوتًا مؤيدًا لها. املأ الحقول التي يحتاجها القرار: عضوًا للتعليق أو إعادة القبول أو الطرد؛ عضوًا ومفتاحه للإلغاء؛ اسمًا وقيمة JSON للتعريف؛ الميثاق كاملًا (JSON) لتعديله. يُقترح قبول الأعضاء الجدد بالأمر `concord community propose admit` الذي يتحقق من الطلب الموقَّع للمرشح.
community-field-member = العضو
community-field-key = المفتاح المراد إلغاؤه (ست عشري)
community-field-replacement = المفتاح البديل (ست عشري، اختياري)
community-field-application = طلب المرشّح (JSON من concord community apply)
community-field-sponsors = كفلاء آخرون (معرّفات العقد، تفصل بينها فواصل)
community-field-name = اسم التعريف
community-field-value = قيمة التعريف (JSON)
community-field-charter = الميثاق الجديد (JSON)
community-field-note = السبب (في كلمات قليلة)
community-propose-submit = وقّع واقترح
community-open =
    { $count ->
        [zero] لا مقترحات مفتوحة
        [one] مقترح واحد مفتوح
        [two] مقترحان مفتوحان
        [few] { $count } مقترحات مفتوحة
        [many] { $count } مقترحًا مفتوحًا
       *[other] { $count } مقترح مفتوح
    }
community-open-none = لا يوجد مقترح مفتوح.
community-not-member = هذه العقدة ليست عضوًا نشطًا في هذا المجتمع، فلا يمكنها الاقتراح ولا التصويت.
community-decided = المقترحات المحسومة والمنتهية
community-decided-none = لم يُحسم أي مقترح بعد.
community-col-tally = المؤيدة / المطلوبة
community-no-key = هذه العقدة لا تشارك في الاتحاد، فليس لديها مفتاح للتوقيع.
community-not-counted = لن يُحتسب القيد، لذا لم يُحفظ: { $reason }
community-bad-choice = الصوت إما نعم أو لا.
community-no-proposal = لا يوجد مقترح كهذا.
community-voted = وُقّع الصوت وحُفظ؛ يصل إلى الأعضاء الآخرين مع المزامنة التالية.
community-proposed = وُقّع المقترح وحُفظ؛ يصل إلى الأعضاء الآخرين مع المزامنة التالية.
community-need-member = اختر العضو الذي يخصه القرار.
community-need-key = أدخل المفتاح المراد إلغاؤه.
community-need-application = الصق طلب المرشّح.
community-bad-application = الطلب غير صالح: { $detail }
community-need-name = أدخل اسم التعريف.
community-bad-json = القيمة ليست JSON: { $detail }
community-bad-charter = الميثاق غير مقبول: { $detail }
community-bad-action = اختر نوع القرار.
community-entry-proposal = مقترح: { $kind }
community-entry-vote-yes = تصويت بنعم على
community-entry-vote-no = تصويت بلا على
community-entry-rotate = تغيير المفتاح، ساري من { $date }
community-log-total =
    { $count ->
        [zero] لا قيود في السجل
        [one] قيد واحد في السجل
        [two] قيدان في السجل
        [few] { $count } قيود في السجل
        [many] { $count } قيدًا في السجل
       *[other] { $count } قيد في السجل
    }
community-log-empty = لا قيود في هذه الصفحة من السجل.
community-col-author = الكاتب
community-col-counted = محتسب
community-counted = محتسب
community-not-counted-short = مرفوض
live-governance = { $event }: { $name }
live-governance-proposed = مقترح جديد
live-governance-member-admitted = قُبل عضو
live-governance-member-suspended = عُلّقت عضوية عضو
live-governance-member-readmitted = أُعيد قبول عضو
live-governance-member-expelled = طُرد عضو
live-governance-key-revoked = أُلغي مفتاح
live-governance-charter-changed = عُدّل الميثاق
live-governance-definition-adopted = اعتُمد تعريف
live-governance-failed = رُفض مقترح
live-governance-expired = انتهت مدة مقترح
live-governance-superseded = حلّ مقترح آخر محل مقترح
