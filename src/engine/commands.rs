//! Control requests: start, stop, restart, reload, status, list (Upstart's
//! `job_class_start/stop/restart()` and the instance methods), with upstream's errors.

use super::instance::{Blocked, Request};
use super::{ClientId, Command, Effect, Engine, Goal, InstanceKey, PendingReply, Reply, State};
use crate::environ::Env;
use crate::job::ProcessKind;

impl Engine {
    pub(crate) fn command(&mut self, client: ClientId, command: Command) {
        let result = match command {
            Command::Start { job, env, wait } => self.start_command(client, &job, &env, wait),
            Command::Stop { job, env, wait } => self.stop_command(client, &job, &env, wait),
            Command::Restart { job, env, wait } => self.restart_command(client, &job, &env, wait),
            Command::Reload { job, env } => self.reload_command(&job, &env),
            Command::Status { job, env } => self.status_command(&job, &env),
            Command::List => Ok(Some(Reply::Status(self.list()))),
        };
        match result {
            Ok(Some(reply)) => self.reply(client, reply),
            Ok(None) => {}
            Err(message) => self.reply(client, Reply::Error(message)),
        }
    }

    /// The class's environment plus `env`, and the instance name it expands to.
    fn locate(&self, job: &str, env: &Env) -> Result<(Env, String), String> {
        let Some(entry) = self.classes.get(job) else {
            return Err(format!("Unknown job: {job}"));
        };
        let mut full = Env::clone(&entry.env);
        full.extend(env);
        match crate::environ::expand(&entry.class.instance, &full) {
            Ok(name) => Ok((full, name)),
            Err(error) => Err(error.to_string()),
        }
    }

    /// The existing instance a stop/restart/reload/status request names.
    fn existing(&self, job: &str, env: &Env) -> Result<InstanceKey, String> {
        let (_, name) = self.locate(job, env)?;
        let key = InstanceKey {
            job: job.to_string(),
            instance: name,
        };
        match self.instance(&key) {
            Some(_) => Ok(key),
            None => Err(format!("Unknown instance: {}", key.instance)),
        }
    }

    fn start_command(
        &mut self,
        client: ClientId,
        job: &str,
        env: &Env,
        wait: bool,
    ) -> Result<Option<Reply>, String> {
        let (start_env, name) = match self.locate(job, env) {
            Ok(found) => found,
            Err(message) => {
                let usage = self.classes.get(job).and_then(|e| e.class.usage.clone());
                return Err(match usage {
                    Some(usage) if self.has_job(job) => format!("{message}\nUsage: {usage}"),
                    _ => message,
                });
            }
        };
        let key = self.find_or_create_instance(job, name);
        let Some(instance) = self.instance_mut(&key) else {
            return Err(format!("Unknown job: {job}"));
        };
        if instance.goal == Goal::Start {
            return Err(format!(
                "Job is already running: {}",
                instance.display_name()
            ));
        }
        instance.start_env = Some(start_env);
        self.job_finished(&key, false);
        self.wait_or_answer(client, &key, Request::Start, wait);
        self.change_goal(&key, Goal::Start);
        Ok(None)
    }

    fn stop_command(
        &mut self,
        client: ClientId,
        job: &str,
        env: &Env,
        wait: bool,
    ) -> Result<Option<Reply>, String> {
        let key = self.existing(job, env)?;
        let Some(instance) = self.instance_mut(&key) else {
            return Err(format!("Unknown instance: {}", key.instance));
        };
        // Even when a `stop on` got there first, the admin wants it to stay stopped.
        instance.stopped_by_command = true;
        if instance.goal == Goal::Stop {
            return Err(format!(
                "Job has already been stopped: {}",
                instance.display_name()
            ));
        }
        instance.stop_env = Some(env.clone());
        self.job_finished(&key, false);
        self.wait_or_answer(client, &key, Request::Stop, wait);
        self.change_goal(&key, Goal::Stop);
        Ok(None)
    }

    /// Really restarts (decisions.md): pre-stop, kill, post-stop, then a new start with the
    /// new environment, never passing through `waiting`; the instance keeps its definition.
    fn restart_command(
        &mut self,
        client: ClientId,
        job: &str,
        env: &Env,
        wait: bool,
    ) -> Result<Option<Reply>, String> {
        let key = self.existing(job, env)?;
        // The instance keeps the definition it was started with, `env` stanzas included.
        let Some(class) = self.instance(&key).map(|i| i.class.clone()) else {
            return Err(format!("Unknown instance: {}", key.instance));
        };
        let mut start_env = self.class_environment(&class);
        start_env.extend(env);
        let Some(instance) = self.instance_mut(&key) else {
            return Err(format!("Unknown instance: {}", key.instance));
        };
        if instance.goal == Goal::Stop {
            return Err(format!(
                "Job has already been stopped: {}",
                instance.display_name()
            ));
        }
        instance.start_env = Some(start_env);
        instance.stop_env = None;
        self.job_finished(&key, false);
        self.wait_or_answer(client, &key, Request::Restart, wait);
        self.change_goal(&key, Goal::Stop);
        // In pre-stop, `Start` would cancel the stop; `Respawn` carries on through it.
        let goal = match self.instance(&key).map(|i| i.state) {
            Some(State::PreStop) => Goal::Respawn,
            _ => Goal::Start,
        };
        match goal {
            Goal::Respawn => {
                if let Some(instance) = self.instance_mut(&key) {
                    instance.goal = Goal::Respawn;
                }
            }
            _ => self.change_goal(&key, goal),
        }
        Ok(None)
    }

    fn reload_command(&mut self, job: &str, env: &Env) -> Result<Option<Reply>, String> {
        let key = self.existing(job, env)?;
        let Some(instance) = self.instance(&key) else {
            return Err(format!("Unknown instance: {}", key.instance));
        };
        let Some(pid) = instance.pid(ProcessKind::Main) else {
            return Err(format!("Job is not running: {}", instance.display_name()));
        };
        let signal = instance.class.reload_signal;
        self.effects.push(Effect::Kill { pid, signal });
        Ok(Some(Reply::Status(Vec::new())))
    }

    fn status_command(&self, job: &str, env: &Env) -> Result<Option<Reply>, String> {
        let (_, name) = self.locate(job, env)?;
        let key = InstanceKey {
            job: job.to_string(),
            instance: name,
        };
        match self.instance(&key) {
            Some(instance) => Ok(Some(Reply::Status(instance.status_lines()))),
            None if key.instance.is_empty() => {
                Ok(Some(Reply::Status(vec![format!("{job} stop/waiting")])))
            }
            None => Err(format!("Unknown instance: {}", key.instance)),
        }
    }

    /// A waiting client is answered when the instance gets there; otherwise at once with a
    /// snapshot of its status.
    fn wait_or_answer(
        &mut self,
        client: ClientId,
        key: &InstanceKey,
        request: Request,
        wait: bool,
    ) {
        if wait {
            if let Some(instance) = self.instance_mut(key) {
                instance.blocking.push(Blocked::Client(client, request));
            }
        } else {
            self.replies
                .push((client, PendingReply::StatusOf(key.clone())));
        }
    }
}
