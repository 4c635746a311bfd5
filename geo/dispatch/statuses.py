"""An incident's statuses, priorities and reporting channels."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REPORTED = "reported"  # 信息采集
    REGISTERED = "registered"  # 案卷建立
    DISPATCHED = "dispatched"  # 任务派遣
    IN_PROGRESS = "in_progress"  # 任务处理
    RESOLVED = "resolved"  # 处理反馈
    CLOSED = "closed"  # 核查结案
    REJECTED = "rejected"  # 不予受理
    DUPLICATE = "duplicate"  # 重复案件

    def label(self, lang: str = "zh") -> str:
        return _STATUS_LABELS[self][lang == "en"]


_STATUS_LABELS = {
    Status.REPORTED: ("信息采集", "Reported"),
    Status.REGISTERED: ("案卷建立", "Registered"),
    Status.DISPATCHED: ("任务派遣", "Dispatched"),
    Status.IN_PROGRESS: ("任务处理", "In progress"),
    Status.RESOLVED: ("处理反馈", "Resolved"),
    Status.CLOSED: ("核查结案", "Closed"),
    Status.REJECTED: ("不予受理", "Rejected"),
    Status.DUPLICATE: ("重复案件", "Duplicate"),
}


#: Statuses whose deadline runs.
RUNNING = (Status.DISPATCHED, Status.IN_PROGRESS)
#: Statuses that need no more work.
FINISHED = (Status.CLOSED, Status.REJECTED, Status.DUPLICATE)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


#: Deadline = category hours x this factor.
PRIORITY_FACTOR = {Priority.LOW: 2.0, Priority.NORMAL: 1.0, Priority.HIGH: 0.5, Priority.URGENT: 0.25}


class Channel(StrEnum):
    PATROL = "patrol"  # 网格员巡查
    PHONE = "phone"  # 群众来电
    VISIT = "visit"  # 来访
    ONLINE = "online"  # 网上报送
    OTHER = "other"  # 其他
