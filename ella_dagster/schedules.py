"""Keeps the confidence metrics fresh: today's partition every 30 minutes, yesterday's once after midnight."""

import datetime as dt

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, define_asset_job, schedule

from ella_dagster.assets.metrics import METRICS_KEY, daily_partitions

confidence_metrics_job = define_asset_job(
    "refresh_confidence_metrics", selection=[METRICS_KEY], partitions_def=daily_partitions
)


@schedule(job=confidence_metrics_job, cron_schedule="*/30 * * * *", default_status=DefaultScheduleStatus.RUNNING)
def confidence_metrics_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    now = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    days = [now.date()] + ([now.date() - dt.timedelta(days=1)] if now.hour == 0 and now.minute < 30 else [])
    return [RunRequest(partition_key=d.isoformat(), run_key=f"metrics-{d.isoformat()}-{now:%H%M}") for d in days]
