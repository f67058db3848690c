# Concord 网页界面 — 简体中文。

## 框架
skip-to-content = 跳到正文
nav-label = 主导航
nav-dashboard = 概览
nav-browse = 浏览与搜索
nav-import = 导入
nav-matching = 情报源与匹配
nav-admin = 管理
language-label = 语言
signout = 退出登录
footer-text = Concord — 在各 CERT 之间共享威胁情报，每个节点对自己的数据保有主权。
back-to-dashboard = 返回概览
yes = 是
no = 否

## 日期（UTC）与数字
month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月
date-format = { $year }年{ $monthnum }月{ $day }日
datetime-format = { $year }年{ $monthnum }月{ $day }日 { $time } UTC
objects-count = { $count } 个对象

## 错误
error-title = 出错了
error-not-found = 此页面不存在。
error-no-object = 此节点上没有该对象，或您的许可级别不涵盖它。
error-forbidden = 您的角色不允许此操作。
error-csrf = 表单已过期或并非来自本站。请重试。
error-internal = 发生内部错误（编号 { $id }）。运维人员可在节点日志中查到。

## 登录
signin-title = 登录
signin-username = 用户名
signin-password = 密码
signin-submit = 登录
signin-failed = 用户名或密码错误。
signin-locked = 此用户名的失败尝试次数过多。请在 15 分钟后重试。
signin-locked-address = 来自此地址的登录失败次数过多。请在 15 分钟后重试。

## 概览
dashboard-title = 概览
dashboard-total = 您在此节点上可以查看 { $count } 个对象。
dashboard-by-type = 按类型统计的对象
dashboard-by-tlp = 按 TLP 级别统计的对象
dashboard-over-time = 最近 { $days } 天新增的对象（按来源）
dashboard-other-types = 其他类型
dashboard-other-sources = 其他来源或无来源
dashboard-empty = 尚无对象。
dashboard-sightings = 最近的目击记录
dashboard-incidents = 最近的事件
dashboard-no-sightings = 尚无目击记录。
dashboard-health = 对等节点、情报源与事件
dashboard-peers-none = 没有已连接的对等节点：此节点尚未配置联邦。
dashboard-feeds-none = 此节点未配置任何情报源。
dashboard-recent = 最近添加
chart-table = 显示数据
chart-day = 日期

## 浏览与搜索
browse-title = 浏览与搜索
browse-search = 搜索文本（任何语言）
browse-type = 类型
browse-tlp = TLP 级别
browse-label = 标签
browse-source = 来源（identity 标识符）
browse-from = 添加起始日期
browse-to = 添加截止日期
browse-any = 全部
browse-submit = 搜索
browse-empty = 没有符合这些筛选条件的对象。
browse-shown = 本页显示 { $count } 个对象。
browse-bad-text = 搜索文本过长（最多 500 个字符）。
browse-bad-type = 该类型不是 STIX 类型名称。
browse-bad-tlp = 未知的 TLP 级别。
browse-bad-source = 来源必须是 STIX 标识符，例如 identity--…
browse-bad-date = 日期格式应为 YYYY-MM-DD。
browse-bad-cursor = 此分页链接无效，请从第一页重新开始。
pager-label = 分页
pager-first = 第一页
pager-next = 下一页

## 列
col-name = 名称
col-type = 类型
col-tlp = TLP
col-modified = 修改时间
col-added = 添加时间
col-created = 创建时间
col-direction = 方向
col-relationship = 关系
col-object = 对象
col-kind = 种类
col-value = 共有值
col-status = 状态
col-details = 详情
col-actions = 操作
col-indicator = 指标
col-count = 次数
col-first-seen = 首次发现
col-last-seen = 最后发现
col-sighting = 目击记录

## 对象页面
object-fields = 属性
object-markings = 标记
object-no-markings = 无标记（视为 TLP:CLEAR）。
object-relationships = { $count } 个关系
object-correlations = { $count } 个关联
object-not-held = 此节点上没有
object-open-graph = 相关对象关系图
object-json = 显示 STIX JSON
direction-outgoing = 引用
direction-incoming = 被引用于
field-name = 名称
field-description = 描述
field-type = 类型
field-id = 标识符
field-created = 创建时间
field-modified = 修改时间
field-created-by = 创建者
field-labels = 标签
field-confidence = 可信度
field-pattern = 模式
field-valid-from = 生效时间
field-valid-until = 失效时间
field-aliases = 别名
field-first-seen = 首次发现
field-last-seen = 最后发现
field-relationship-type = 关系类型
field-source = 源
field-target = 目标
field-value = 值
field-external-references = 外部参考
field-kill-chain-phases = 杀伤链阶段
field-revoked = 已撤销
versions-heading = { $count } 个版本
versions-current = 当前
versions-compare-a = 比较起点
versions-compare-b = 比较终点
versions-compare = 显示差异
diff-caption = { $count } 个属性不同
diff-property = 属性
diff-version = { $version } 的版本
diff-changed = 已更改
diff-added = 已添加
diff-removed = 已删除
diff-same = 其余 { $count } 个属性相同。

## 关系图
graph-title = 关系图：{ $name }
graph-svg-title = 与 { $name } 相关的对象
graph-back = 返回对象
graph-empty = 没有您可以查看的相关或关联对象。
graph-legend = 实线：关系与引用。虚线：共有的可观测值。
graph-nodes = 关系图中有 { $count } 个对象

## 导入
import-title = 导入
import-file = STIX 2.1、MISP JSON、CSAF 2.0、值列表（每行一个）或 CSV 文件
import-help = 格式根据内容自动识别。每个对象都按 STIX 2.1 检查；有效对象会被保存，每个被拒绝的对象都会列出出错的属性和规则。
import-submit = 导入
import-no-file = 请先选择文件。
import-not-stix = 此文件不是 STIX 文档：{ $reason }
upload-failed = 上传失败：{ $reason }
import-summary = 新增：{ $new }。新版本：{ $versions }。未变：{ $unchanged }。冲突：{ $conflicts }。拒绝：{ $rejected }。
import-results = 每个对象的结果
import-accepted = 已接受
import-rejected = 已拒绝
import-more-results = 另有 { $count } 个对象。
import-another = 导入另一个文件
outcome-new = 新对象
outcome-new-version = 新版本
outcome-unchanged = 已存在
outcome-conflict = 冲突：此版本已以不同内容存在

## 情报源与匹配
matching-title = 情报源与匹配
matching-file = 日志文件
matching-format = 格式
matching-submit = 与指标匹配
matching-bad-format = 未知的日志格式。
matching-not-ready = 指标索引仍在构建中，请稍后再试。
matching-summary = 读取行数：{ $lines }。观测数：{ $observations }。格式错误的行：{ $malformed }。写入的目击记录：{ $sightings }。
matching-none = 没有您可以查看的指标与此日志匹配。
matching-sightings = 目击记录
matching-errors = 格式错误的行
matching-line = 第 { $line } 行
matching-another = 匹配另一个日志
feeds-heading = 情报源
format-eve = Suricata EVE（JSON 行）
format-zeek = Zeek（JSON 行）
format-ecs = Elastic Common Schema（JSON 行）
format-csv = CSV
format-lines = 每行一个值
format-stix = STIX observed-data

## 账户
account-title = 我的账户
account-profile = 个人资料
account-name = 用户名
account-role = 角色
account-clearance = TLP 许可级别
account-tokens = 我的 API 令牌
account-no-tokens = 没有 API 令牌。
account-new-token = 新建 API 令牌
account-token-name = 令牌用途
account-create-token = 创建令牌
account-token-created = 令牌已创建。
account-token-once = 请立即复制此密钥：它只显示一次。
account-token-invalid = 请为令牌命名（最多 200 个字符），并选择不高于您自己的角色。
account-revoke = 撤销
account-password = 修改密码
account-current-password = 当前密码
account-new-password = 新密码
account-confirm-password = 再次输入新密码
account-change-password = 修改密码
password-mismatch = 两次输入的新密码不一致。
password-too-short = 密码至少需要 10 个字符。
password-too-long = 密码最多 1024 个字符。
password-wrong = 当前密码错误。
role-reader = 读者
role-analyst = 分析员
role-admin = 管理员

## 管理
admin-title = 管理
admin-users = { $count } 个用户
admin-disabled = 已停用
admin-save = 保存
admin-new-user = 新用户
admin-create-user = 创建用户
admin-bad-name = 用户名为 1 到 64 个字符，不含空格。
admin-bad-user = 请选择有效的角色和 TLP 许可级别。
admin-name-taken = 用户名 { $name } 已被使用。
admin-user-created = 已创建用户 { $name }。
admin-user-saved = 更改已保存。
admin-self = 您不能降低自己的角色，也不能停用自己。
admin-tokens = 所有 API 令牌
admin-owner = 所有者
admin-no-owner = 无（通过命令创建）
admin-collections = TAXII 集合
admin-collections-root = API 根：{ $root }
admin-collection-filter = 内容
admin-collection-all = 所有对象
admin-collection-read = 读取
admin-collection-write = 写入

## 对等节点与审计
nav-peers = 对等节点与审计
peers-title = 对等节点与审计日志
peers-heading = { $count } 个对等节点
peers-never = 从未
col-url = 地址
col-agreement = 协议
col-last-sync = 最近一次拉取
col-lag = 落后的变更数
col-received = 已接收对象
col-last-error = 最近的错误
audit-heading = 外发决定的审计日志
audit-verify = 校验整条链
audit-empty = 尚未记录任何外发决定。
audit-intact = 审计链完好（已检查 { $count } 条记录）。
audit-broken = 审计链在第 { $n } 条记录处断裂：记录已被修改或删除。
col-at = 时间
col-peer = 对等节点
col-verdict = 决定
col-hash = 哈希
verdict-send = 已发送
verdict-send-redacted = 已脱敏发送
verdict-withhold = 已扣留
dashboard-peers = 已连接 { $count } 个对等节点。
dashboard-peers-failing = 其中 { $count } 个最近一次拉取失败。
object-provenance = 来源
provenance-local = 在本节点创建或导入（并非从对等节点接收）。
provenance-origin = 原始节点
provenance-received-from = 接收自
provenance-hops = 剩余可转发次数
provenance-redacted-by = 脱敏节点

## 事件
nav-incidents = 事件
incidents-title = 事件
incidents-empty = 此节点上没有您可以查看的事件。
incident-status = 调查状态
incident-determination = 判定
incident-severity = 严重程度
incident-origin = 发起方
incident-local = 本节点
incident-alert = 警报
incident-object = 该事件的 STIX 对象
incident-state = 状态
versions-heading-plain = 版本数
incident-acks = 警报确认（第 { $round } 轮）
incident-overdue = 已逾期
incident-timeline = 时间线
incident-timeline-empty = 此事件尚无任何动态。
incident-said-by = 发布方
kind-incident = 事件
kind-ack = 确认
kind-request = 协助请求
kind-request-response = 请求答复
kind-custody = 证据保管链
kind-constituency-notification = 服务对象通知

## 外发策略说明
object-open-policy = 各对等节点将收到什么
policy-title = 各对等节点将收到什么：{ $name }
policy-title-plain = 各对等节点将收到什么
policy-no-federation = 此节点未加入联邦：不会向外发送任何内容。
policy-changed = 发送副本中被更改或删除的属性：
policy-rule = 规则
policy-effect = 效果
policy-why = 原因（策略的说明）
effect-allow = 允许
effect-deny = 扣留
effect-redact = 脱敏
effect-detect = 识别出类别
import-read-as = 识别为：{ $format }
import-problems = { $count } 条记录无法转换
import-format-stix = STIX 2.1
import-format-misp = MISP JSON
import-format-csaf = CSAF 2.0 安全公告
import-format-lines = 每行一个值
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = 无法读取订阅源文件：{ $reason }
feeds-not-configured = （已不在 concord.toml 中）
feeds-never-run = 尚未运行。
feeds-ok = 无
feeds-errors = { $count } 个错误
feeds-more-errors = 另有 { $count } 个错误。
col-last-run = 上次运行
col-new = 新增
col-new-versions = 新版本
col-unchanged = 未变化
col-expired = 已过期
col-rejected = 被拒绝或无法转换
col-errors = 错误
# Import jobs
import-uploading = 正在上传文件
import-recent = 您最近的导入
import-running = 进行中
import-failed = 失败
import-busy = 您已有正在进行的导入，请等待其中一个完成。
import-full = 服务器正忙于其他导入，请稍后再试。
import-job-unknown = 没有这个导入。导入记录保留一小时，且仅对发起导入的用户可见。
import-file-name = 文件：
import-bytes = 大小（字节）：{ $count }
import-reading = 正在读取并转换文件
import-progress = 已存储对象：{ $done }
# Live notifications
nav-notifications = 通知
live-label = 实时通知
live-new = 新的 { $type }：{ $name }
notifications-title = 通知
notifications-no-subscription = 没有包含您的网页订阅。管理员可以在 response.toml 中添加：设置 web = true 或 web = ["您的用户名"] 的 [[subscription]]。
notifications-none = 服务器启动以来没有通知。
notifications-recent = 最近的通知
col-subscription = 订阅
feeds-line = 上次运行 { $date }：新增 { $new }，新版本 { $versions }，被拒绝或无法转换 { $rejected }。
import-layout = 列表或 CSV 文件的格式布局
import-layout-auto = 根据内容自动识别
import-bad-layout = 没有名为“{ $name }”的已知布局。请从列表中选择。
import-format-csv = 采用所选布局的列表或 CSV 文件
