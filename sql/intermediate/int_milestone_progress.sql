{#-
  Each milestone of a contract's project with its billing terms (from tags) and its progress
  as of as_of: the share of its tasks' estimated minutes on completed tasks, and the day that
  share first reached the partial-billing threshold.
#}
with terms as (
    select
        links.milestone_id,
        max(tags.billing_value) as billing_value,
        max(tags.release_percent) as release_percent,
        max(tags.at_percent) as at_percent,
        coalesce(max(case when tags.is_deliverable then 1 else 0 end), 0) = 1 as is_deliverable
    from {{ s.staging }}.stg_teamwork__milestone_tags as links
    inner join {{ s.staging }}.stg_teamwork__tags as tags on tags.tag_id = links.tag_id
    group by links.milestone_id
),

tasks as (
    select
        lists.milestone_id,
        tasks.task_id,
        coalesce(tasks.estimate_minutes, 0) as estimate_minutes,
        case when tasks.completed_date <= {{ as_of }} then tasks.completed_date end as completed_date
    from {{ s.staging }}.stg_teamwork__milestone_tasklists as lists
    inner join {{ s.staging }}.stg_teamwork__tasks as tasks on tasks.tasklist_id = lists.tasklist_id
),

cumulative as (
    select
        tasks.*,
        sum(estimate_minutes) over (partition by milestone_id) as total_estimate,
        sum(case when completed_date is not null then estimate_minutes else 0 end) over (
            partition by milestone_id
            order by completed_date nulls last, task_id
            rows between unbounded preceding and current row
        ) as done_estimate
    from tasks
),

progress as (
    select
        cumulative.milestone_id,
        max(total_estimate) as total_estimate,
        max(done_estimate) as done_estimate,
        min(case
            when terms.at_percent is not null and total_estimate > 0 and completed_date is not null
                and done_estimate * 100 >= terms.at_percent * total_estimate
            then completed_date
        end) as threshold_date
    from cumulative
    left join terms on terms.milestone_id = cumulative.milestone_id
    group by cumulative.milestone_id
),

final as (
    select
        milestones.milestone_id,
        milestones.milestone_name,
        milestones.project_id,
        contracts.contract_code,
        contracts.billing_model,
        terms.billing_value,
        terms.release_percent,
        terms.at_percent,
        coalesce(terms.is_deliverable, false) as is_deliverable,
        case
            when milestones.is_completed and milestones.completed_date <= {{ as_of }}
                then milestones.completed_date
        end as completed_date,
        case when progress.total_estimate > 0
            then cast(
                cast({{ money.half_up_div('cast(progress.done_estimate as ' ~ d.wide_int ~ ') * 10000', 'progress.total_estimate') }}
                    as decimal(18,0)) * 0.01 as decimal(9,2))
        end as percent_complete,
        progress.threshold_date
    from {{ s.staging }}.stg_teamwork__milestones as milestones
    inner join {{ s.build }}.int_contracts as contracts on contracts.project_id = milestones.project_id
    left join terms on terms.milestone_id = milestones.milestone_id
    left join progress on progress.milestone_id = milestones.milestone_id
)

select * from final
