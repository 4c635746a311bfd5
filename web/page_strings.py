"""What the pages' scripts say, in the page's language, from the one gettext catalogue.

Every page with scripts carries its catalogue as a JSON block (``<script
type="application/json" id="page-strings">``, templates/page_strings.html, before
gridmap.js; the CSP allows data blocks) which static/js/gridmap.js reads as
``gridmap.strings``: the names of the domain's codes
(``labels``, from the labelled enums, ``geo.core.labels``) and each script's own
words (msgids in Chinese under the script's name as context, like the templates'
strings). Templates use ``label_of`` through the ``label`` filter. Words with
values are templates with named values (``{since}``) that ``gridmap.format`` fills.
"""

from __future__ import annotations

from flask_babel import pgettext

from geo.accounts.models import Role
from geo.core.labels import Labelled
from geo.dispatch.queues import Queue
from geo.dispatch.statuses import Channel, Priority, Status
from geo.grid.models import ForceKind, GridLevel, Net
from geo.party.models import ActivityKind, ProjectStatus, VillageOrganisation
from geo.patrol.hotspots import NO_INCIDENTS, NO_SIGNIFICANT_SPOTS
from geo.patrol.models import SiteKind, ZoneKind
from geo.patrol.tasks import CheckInFlag, TaskState
from geo.planning.models import PlanStatus
from geo.workforce.models import Employment, RecognitionKind

#: The labelled codes, by the name pages and error values know them by.
LABELLED: dict[str, type[Labelled]] = {
    "net": Net,
    "level": GridLevel,
    "role": Role,
    "status": Status,
    "priority": Priority,
    "channel": Channel,
    "queue": Queue,
    "plan_status": PlanStatus,
    "zone_kind": ZoneKind,
    "site_kind": SiteKind,
    "task_state": TaskState,
    "checkin_flag": CheckInFlag,
    "activity_kind": ActivityKind,
    "project_status": ProjectStatus,
    "village_organisation": VillageOrganisation,
    "force": ForceKind,
    "employment": Employment,
    "recognition": RecognitionKind,
}


def label_of(member: Labelled) -> str:
    """``member``'s name in the request's language."""
    return pgettext(member.label.context, member.label.text)


def hotspot_note(code: str) -> str:
    """Why a hotspot analysis shows nothing (its ``note``), in the request's language."""
    return _hotspot_notes()[code]


def _hotspot_notes() -> dict[str, str]:
    return {
        NO_INCIDENTS: pgettext("patrol", "所选时段内没有事件"),
        NO_SIGNIFICANT_SPOTS: pgettext("patrol", "没有统计显著的热点或冷点"),
    }


def page_strings() -> dict:
    """Everything the pages' scripts say, in the request's language."""
    return {
        "labels": {name: {member.value: label_of(member) for member in enum} for name, enum in LABELLED.items()},
        "gridmap": _gridmap(),
        "plan": _plan(),
        "dispatch": _dispatch(),
        "patrol": _patrol(),
        "public": _public(),
        "dashboard": _dashboard(),
        "party": _party(),
    }


def _gridmap() -> dict:
    """What static/js/gridmap.js says."""
    return {
        "loading": pgettext("gridmap", "正在加载"),
        "failed": pgettext("gridmap", "加载失败"),
        "demo": pgettext("gridmap", "演示数据：生成的网格边界，非官方区划"),
        "none": "—",
        "legend": pgettext("gridmap", "图例"),
        "legendOverdue": pgettext("gridmap", "红圈：逾期"),
        "legendEscalated": pgettext("gridmap", "虚线圈：已升级"),
        "search": {
            "placeholder": pgettext("gridmap", "搜索地名、网格编码、事件编号或坐标"),
            "crs": pgettext("gridmap", "坐标来源"),
            "gcj02": pgettext("gridmap", "高德/腾讯 GCJ-02"),
            "bd09": pgettext("gridmap", "百度 BD-09"),
            "go": pgettext("gridmap", "搜索"),
            "incident": pgettext("gridmap", "事件"),
            "point": pgettext("gridmap", "坐标"),
            "none": pgettext("gridmap", "没有找到"),
        },
    }


def _plan() -> dict:
    """What static/js/plan.js says."""
    return {
        "demoGeometry": pgettext("plan", "演示数据"),
        "change": {
            "new": pgettext("plan", "新增"),
            "changed": pgettext("plan", "调整"),
            "unchanged": pgettext("plan", "未变"),
            "removed": pgettext("plan", "撤销"),
        },
        "owner": pgettext("plan", "规划员"),
        "legend": pgettext("plan", "图例"),
        "branchName": pgettext("plan", "党支部名称"),
        "newBranch": pgettext("plan", "新成立"),
        "branchSuffix": pgettext("plan", "党支部"),
        "branchMembers": pgettext("plan", "党员人数"),
        "branchSecretary": pgettext("plan", "书记（网格员姓名）"),
        "branchSecretaryHint": pgettext("plan", "留空：由本组组长（网格员）兼任书记（一肩挑）。"),
        "branchNoneReason": pgettext("plan", "或：暂不成立的理由"),
        "reason": pgettext("plan", "调整理由："),
        "noReason": pgettext("plan", "（未填写）"),
        "confirmApprove": pgettext("plan", "确认批准"),
        "approveSummary": pgettext("plan", "本规划调整 {grids} 个网格，涉及 {incidents} 件事件。"),
        "activatesNow": pgettext("plan", "生效日期为今天：批准后立即启用新边界。"),
        "activatesOn": pgettext("plan", "新边界将于 {day}（北京时间）零点后启用。"),
        "parent": pgettext("plan", "调整下级的网格"),
        "version": pgettext("plan", "版本"),
        "base": pgettext("plan", "基于边界版本"),
        "selectHint": pgettext("plan", "点击网格选中；按住 Shift 点击可多选（用于合并）。"),
        "selected": pgettext("plan", "已选"),
        "none": pgettext("plan", "无"),
        "ok": pgettext("plan", "校验通过：无缝隙、无重叠，每个网格都有网格员。"),
        "errors": pgettext("plan", "必须修正"),
        "todo": pgettext("plan", "提交前需完成"),
        "newCode": pgettext("plan", "新编码"),
        "nameZh": pgettext("plan", "名称"),
        "nameEn": pgettext("plan", "英文名称"),
        "target": pgettext("plan", "划给网格"),
        "workerName": pgettext("plan", "网格员姓名"),
        "phone": pgettext("plan", "电话"),
        "nets": pgettext("plan", "所属网"),
        "file": pgettext("plan", "文件（GeoJSON、GeoPackage、Shapefile 压缩包）"),
        "crs": pgettext("plan", "坐标系"),
        "layer": pgettext("plan", "图层（可选）"),
        "apply": pgettext("plan", "执行"),
        "cancel": pgettext("plan", "取消"),
        "drawLine": pgettext("plan", "在地图上画一条穿过所选网格的线，在最后一点再次点击结束。"),
        "drawArea": pgettext("plan", "在地图上画出区域，点击起点闭合。"),
        "editShape": pgettext("plan", "拖动所选网格的顶点，然后保存。"),
        "saveShape": pgettext("plan", "保存边界"),
        "cleanOneClick": pgettext("plan", "清除 10 米内的缝隙并预览"),
        "cleanPreview": pgettext("plan", "预览：清除小于（米）的缝隙"),
        "keep": pgettext("plan", "采用此结果"),
        "discard": pgettext("plan", "放弃"),
        "previewNote": pgettext("plan", "预览——尚未保存。"),
        "saved": pgettext("plan", "已保存。"),
        "submit": pgettext("plan", "提交审批"),
        "submitted": pgettext("plan", "已提交审批。"),
        "approve": pgettext("plan", "批准"),
        "reject": pgettext("plan", "驳回"),
        "comment": pgettext("plan", "意见"),
        "effective": pgettext("plan", "生效日期"),
        "approved": pgettext("plan", "已批准。"),
        "rejected": pgettext("plan", "已驳回。"),
        "activated": pgettext("plan", "已生效为边界版本 "),
        "rerouted": pgettext("plan", " 件开放事件已改派。"),
        "stale": pgettext("plan", "规划已被他人修改，已重新加载。"),
        "refused": pgettext("plan", "这次修改未保存，原因如下（地图上红色处）："),
        "needSelection": pgettext("plan", "请先选中网格。"),
        "impactGrids": pgettext("plan", "各网格面积（平方公里）"),
        "before": pgettext("plan", "调整前"),
        "after": pgettext("plan", "调整后"),
        "gained": pgettext("plan", "增加"),
        "lost": pgettext("plan", "减少"),
        "incidents": pgettext("plan", "改变网格的开放事件"),
        "branches": pgettext("plan", "改变网格的党支部"),
        "workers": pgettext("plan", "调整或新配的网格员"),
        "sites": pgettext("plan", "改变网格的卡点与驿站"),
        "zones": pgettext("plan", "涉及调整区域的季节性区域"),
        "newWorker": pgettext("plan", "新配"),
        "nothing": pgettext("plan", "无"),
        "review": pgettext("plan", "审批"),
        "readOnly": pgettext("plan", "此规划已不能编辑。"),
    }


def action_names() -> dict[str, str]:
    """The work cycle's steps as people read them (history rows, buttons), in the request's language."""
    return {
        "report": pgettext("dispatch", "上报"),
        "register": pgettext("dispatch", "立案"),
        "dispatch": pgettext("dispatch", "派遣"),
        "accept": pgettext("dispatch", "接收"),
        "resolve": pgettext("dispatch", "办结反馈"),
        "verify": pgettext("dispatch", "核查结案"),
        "reopen": pgettext("dispatch", "返工"),
        "reject": pgettext("dispatch", "不予受理"),
        "duplicate": pgettext("dispatch", "标记重复"),
        "reassign": pgettext("dispatch", "改派"),
        "escalate": pgettext("dispatch", "升级"),
        "note": pgettext("dispatch", "备注"),
        "reroute": pgettext("dispatch", "边界调整改派"),
        "attach": pgettext("dispatch", "添加照片"),
        "support": pgettext("dispatch", "群众附议"),
        "evaluate": pgettext("dispatch", "回访评价"),
        "co_handler_add": pgettext("dispatch", "添加协办"),
        "co_handler_remove": pgettext("dispatch", "移除协办"),
        "merge": pgettext("dispatch", "跨网合并"),
    }


def _dispatch() -> dict:
    """What static/js/dispatch.js says."""
    return {
        "action": action_names(),
        "total": pgettext("dispatch", "件"),
        "overdue": pgettext("dispatch", "逾期"),
        "escalated": pgettext("dispatch", "已升级"),
        "dup": pgettext("dispatch", "疑似重复"),
        "note": pgettext("dispatch", "说明 / 理由"),
        "worker": pgettext("dispatch", "网格员编号（改派）"),
        "original": pgettext("dispatch", "原案件编号（重复）"),
        "assignee": pgettext("dispatch", "责任网格员"),
        "due": pgettext("dispatch", "期限"),
        "chain": pgettext("dispatch", "网格链"),
        "history": pgettext("dispatch", "办理记录"),
        "reporter": pgettext("dispatch", "报告人"),
        "category": pgettext("dispatch", "类别"),
        "priority": pgettext("dispatch", "优先级"),
        "address": pgettext("dispatch", "地址"),
        "created": pgettext("dispatch", "已登记"),
        "newIncident": pgettext("dispatch", "在此登记新事件"),
        "title": pgettext("dispatch", "标题"),
        "description": pgettext("dispatch", "描述"),
        "channel": pgettext("dispatch", "来源渠道"),
        "net": pgettext("dispatch", "网"),
        "submit": pgettext("dispatch", "登记"),
        "cancel": pgettext("dispatch", "取消"),
        "photos": pgettext("dispatch", "照片"),
        "close": pgettext("dispatch", "关闭"),
        "days": pgettext("dispatch", "{n} 天"),
        "hours": pgettext("dispatch", "{n} 小时"),
        "left": pgettext("dispatch", "剩余 {amount}"),
        "overdueBy": pgettext("dispatch", "已逾期 {amount}"),
        "upload": pgettext("dispatch", "上传照片"),
        "conflict": pgettext("dispatch", "该事件已被他人修改，以下为最新状态。"),
        "network": pgettext("dispatch", "网络中断，上报可能未送达。请再次提交，不会重复登记。"),
        "publicNote": pgettext("dispatch", "公开（群众可见）"),
        "publicMark": pgettext("dispatch", "公开"),
        "residents": pgettext("dispatch", "群众上报人数"),
        "fromPublic": pgettext("dispatch", "群众上报"),
        "callback": pgettext("dispatch", "同意回访"),
        "page": pgettext("dispatch", "第 {n} / {of} 页"),
        "waited": pgettext("dispatch", "已等 {amount}"),
        "newCases": pgettext("dispatch", "新事件 {n} 件："),
        "soundOn": pgettext("dispatch", "提示音：开"),
        "soundOff": pgettext("dispatch", "提示音：关"),
        "savedFilters": pgettext("dispatch", "已保存的筛选…"),
        "pickWorker": pgettext("dispatch", "派遣或改派给（本网、本网格链的网格员）："),
        "otherWorkers": pgettext("dispatch", "其他网格员（需说明理由）："),
        "offChain": pgettext("dispatch", "网格链外"),
        "loadingWorkers": pgettext("dispatch", "正在加载可选网格员…"),
        "openCases": pgettext("dispatch", "在办 {n} 件"),
        "current": pgettext("dispatch", "当前"),
        "away": pgettext("dispatch", "请假至 {until}"),
        "noWorkers": pgettext("dispatch", "本网格链上没有该网的网格员。"),
        "phone": pgettext("dispatch", "报告人电话"),
        "routingLoading": pgettext("dispatch", "正在查询归属网格…"),
        "routesTo": pgettext("dispatch", "将分派至"),
        "nobody": pgettext("dispatch", "暂无可分派的网格员（将待人工派遣）"),
        "dutyTitle": pgettext("dispatch", "责任清单与协办"),
        "lead": pgettext("dispatch", "牵头"),
        "supporting": pgettext("dispatch", "配合"),
        "coHandlers": pgettext("dispatch", "协办人员"),
        "addCoHandler": pgettext("dispatch", "添加协办"),
        "crossNet": pgettext("dispatch", "跨网重复：同一问题多网上报"),
        "merge": pgettext("dispatch", "合并到本案"),
        "separator": pgettext("dispatch", "、"),
    }


def _public() -> dict:
    """What static/js/report.js says."""
    return {
        "choose": pgettext("public", "请选择"),
        "loading": pgettext("public", "正在加载…"),
        "located": pgettext("public", "已定位"),
        "tapped": pgettext("public", "已在地图上选定"),
        "noGps": pgettext("public", "无法定位，请从列表中选择村民小组"),
        "locating": pgettext("public", "正在定位…"),
        "offline": pgettext("public", "网络不佳，地图未能加载；请从列表中选择"),
    }


def _patrol() -> dict:
    """What static/js/patrol.js says."""
    return {
        "stats": pgettext(
            "patrol",
            "{since} 至 {until} 共 {incidents} 件事件（去年同期 {last_year_incidents} 件）；"
            "{cells} 个 {cell_km} 公里网格中热点 {hot_cells} 个、冷点 {cold_cells} 个"
            "（Gi*，{permutations} 次置换，FDR {alpha}）",
        ),
        "siteName": pgettext("patrol", "{kind}：{name}"),
        "listSeparator": pgettext("patrol", "、"),
        "notes": _hotspot_notes(),
        "window": pgettext("patrol", "开放"),
        "border": pgettext("patrol", "交界地区："),
        "crosses": pgettext("patrol", "跨出县界"),
        "branch": pgettext("patrol", "临时党支部"),
        "team": pgettext("patrol", "巡逻队"),
        "secretary": pgettext("patrol", "书记"),
        "leader": pgettext("patrol", "队长"),
        "briefing": pgettext("patrol", "巡逻简报"),
        "none": pgettext("patrol", "无"),
        # A hotspot in plain words first; the statistics behind it on demand.
        "plain": pgettext("patrol", "本期 {count} 起，去年同期 {last} 起：{trend}，明显多于周边。"),
        "plainTrend": {
            "new": pgettext("patrol", "去年同期没有，今年新出现"),
            "up": pgettext("patrol", "比去年同期增多"),
            "down": pgettext("patrol", "比去年同期减少"),
            "steady": pgettext("patrol", "与去年同期相近"),
        },
        "cellPlain": pgettext("patrol", "本期 {count} 起，去年同期 {last} 起"),
        "statistics": pgettext("patrol", "统计依据"),
        "hotspotStats": pgettext("patrol", "Getis-Ord Gi* 最大 z = {z}；按 FDR 校正后显著（{permutations} 次置换）。"),
        "nearest": pgettext("patrol", "最近"),
        "worker": pgettext("patrol", "网格员"),
        "assign": pgettext("patrol", "派出巡逻"),
        "visit": pgettext("patrol", "巡查"),
        "from": pgettext("patrol", "从"),
        "to": pgettext("patrol", "到"),
        "save": pgettext("patrol", "派出"),
        "cancel": pgettext("patrol", "取消"),
        "instructions": pgettext("patrol", "任务说明"),
        "legend": pgettext("patrol", "图例"),
        "legendNames": {
            "zones": {"true": pgettext("patrol", "当日开放的区域"), "false": pgettext("patrol", "未开放的区域")},
            "incidents": {"true": pgettext("patrol", "未结事件"), "false": pgettext("patrol", "已结事件")},
            "density": pgettext("patrol", "事件密度（蓝低→红高）"),
            "cells": {
                "hot": pgettext("patrol", "热点（显著偏多）"),
                "cold": pgettext("patrol", "冷点（显著偏少）"),
                "was_hot": pgettext("patrol", "去年同期的热点"),
            },
        },
        "checkins": pgettext("patrol", "次签到"),
        "noCheckins": pgettext("patrol", "还没有签到"),
        "checkinAt": pgettext("patrol", "签到时间"),
        "checkinBy": pgettext("patrol", "签到人"),
        "distance": pgettext("patrol", "距目标"),
        "flags": pgettext("patrol", "提示"),
        "metres": pgettext("patrol", "{m} 米"),
        "counts": pgettext("patrol", "计为巡查"),
        "drawHint": pgettext("patrol", "在地图上画出区域，点击起点闭合。"),
        "pickSite": pgettext("patrol", "请在地图上点击它的位置。"),
        "editZone": pgettext("patrol", "编辑"),
        "saved": pgettext("patrol", "已保存。"),
        "demo": pgettext("patrol", "演示"),
    }


def _dashboard() -> dict:
    """What static/js/dashboard.js says."""
    return {
        "drill": pgettext("dashboard", "下钻"),
        "noFigure": pgettext("dashboard", "无数据（分母为空）"),
        "legendGrade": pgettext("dashboard", "等级"),
        "legendQuantile": pgettext("dashboard", "五分位（红：差，绿：好）"),
        "thisYear": pgettext("dashboard", "本年"),
        "demo": pgettext("dashboard", "演示数据"),
    }


def _party() -> dict:
    """What static/js/party.js, party_branch.js and party_phone.js say."""
    return {
        "activity": pgettext("party", "{kind}：{topic}"),
        "held": pgettext("party", "{day} · {place} · {attendance} 人参加 · {photos} 张照片"),
        "project": pgettext("party", "{title}（{status}，进度 {progress}%）"),
        "count": pgettext("party", "本月活动 {count} 次"),
        "legend": pgettext("party", "图例"),
        "position": pgettext("party", "已取得手机位置（±{metres} 米）"),
        "noPosition": pgettext("party", "无法取得手机位置：请手动填写经纬度"),
        "demo": pgettext("party", "演示数据：程序生成，非真实活动"),
        "removeMember": pgettext("party", "从本支部移除党员 {name}？"),
        "waiting": pgettext("party", "没有信号：活动已保存在手机上，有信号时自动发送。待发送：{n}"),
        "signIn": pgettext("party", "请重新登录；待发送的活动仍保存在手机上。"),
        "refused": pgettext("party", "活动未被接受："),
        "sent": pgettext("party", "已发送的活动已记录，可在党建地图上查看。"),
    }
