"""The accuracy study in one run on one GPU: the ablation screen, the accurate model (mpnet) with its
cross-validation, and the MiniLM students distilled from each fold's mpnet teacher.

    python eval/gpu_study.py --out /tmp/study --parallel 6 --deadline 450

Every row is an ordinary `eval/benchmark.py` command (written into its benchmark.json), run as a
separate process so several share the GPU; rows that need a teacher wait for the mpnet folds and their
targets. At the deadline what still runs is stopped and said so in study.json; finished rows stay.
Collect the table afterwards with `python eval/ablation.py <out>/ablation --out eval/results/minilm`.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

CV = "python eval/benchmark.py --config configs/minilm_cv.yaml --folds 5 --curve= --no-publish"
SCREEN = CV + " --eval.calibrate false"
TEACHERS = "/tmp/study-teachers/fold{fold}.jsonl.gz"


def jobs(out: Path, work: Path) -> list[dict]:
    """name, command, what it waits for; in order of priority."""
    rows = {  # in order of priority
        "01-base": "--curve 0.2,0.4,0.6,0.8",
        "02-io-tags": "--model.tagging IO",
        "03-first-subtoken": "--model.label_subtokens first",
        "04-windows-512": "--model.max_length 512 --model.stride 128",
        "05-epochs-15": "--num_train_epochs 15",
        "11-layers-4": "--model.num_hidden_layers 4",
        "06-lr-5e-5": "--learning_rate 5e-5",
        "07-lr-3e-4": "--learning_rate 3e-4",
        "08-dropout-0.2": "--model.dropout 0.2",
        "09-label-smoothing-0.1": "--training.extra '{train_sampling_strategy: group_by_length, label_smoothing_factor: 0.1}'",
        "10-epochs-5": "--num_train_epochs 5",
        "12-layers-3": "--model.num_hidden_layers 3",
    }
    mpnet_work = work / "cv-mpnet"
    out_list = [
        {"name": "mpnet-cv", "cmd": "python eval/benchmark.py --config configs/mpnet_cv.yaml --folds 5 --curve= "
                                    f"--no-publish --keep-models --work {mpnet_work} --output_dir {work}/none "
                                    f"--out {out}/ablation/20-mpnet"},
        {"name": "mpnet-full", "cmd": "(accelerate launch --num_processes 1 --num_machines 1 --mixed_precision no --dynamo_backend no train/train.py --config configs/mpnet.yaml"
                                      " || python train/train.py --config configs/mpnet.yaml)"
                                      f" && python -m incident_roles.training.distill --model models/mpnet "
                                      f"--data data/processed/train.jsonl --out {out}/teacher/mpnet-train.jsonl.gz"},
        {"name": "teachers", "after": "mpnet-cv", "cmd": " && ".join(
            f"python -m incident_roles.training.distill --model {mpnet_work}/fold{i}/model --data "
            f"{mpnet_work}/fold{i}/train.jsonl --out {TEACHERS.format(fold=i)}" for i in range(1, 6))},
        {"name": "21-distilled", "after": "teachers",
         "cmd": f"{SCREEN} --distill.teacher '{TEACHERS}' --output_dir {work}/none --out {out}/ablation/21-distilled"},
        {"name": "22-distilled-layers-4", "after": "teachers",
         "cmd": f"{SCREEN} --distill.teacher '{TEACHERS}' --model.num_hidden_layers 4 --output_dir {work}/none "
                f"--out {out}/ablation/22-distilled-layers-4"},
    ]
    for name, flags in rows.items():
        out_list.append({"name": name, "cmd": f"{SCREEN} {flags} --output_dir {work}/none --out {out}/ablation/{name}"})
        if name == "01-base":  # the same recipe with the decision margins: the margins lever
            out_list.append({"name": "00-base-margins",
                             "cmd": f"{CV} --output_dir {work}/none --out {out}/ablation/00-base-margins"})
    return out_list


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default="/tmp/study-work")
    parser.add_argument("--parallel", type=int, default=6)
    parser.add_argument("--deadline", type=float, default=450, help="seconds; then running rows are stopped")
    parser.add_argument("--only", help="comma-separated job names (default: all)")
    args = parser.parse_args(argv)
    out, work = Path(args.out), Path(args.work)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    todo = jobs(out, work)
    if args.only:
        keep = set(args.only.split(","))
        todo = [j for j in todo if j["name"] in keep]
    started, running, status = time.time(), {}, {}
    while todo or running:
        for name, (proc, t0, log) in list(running.items()):
            if proc.poll() is not None:
                status[name] = {"rc": proc.returncode, "seconds": round(time.time() - t0, 1)}
                print(f"[{time.time() - started:5.0f}s] {name} ended rc={proc.returncode}", flush=True)
                log.close()
                del running[name]
        if time.time() - started > args.deadline:
            for name, (proc, t0, log) in running.items():
                os.killpg(proc.pid, 9)  # the shell and the benchmark it started
                status[name] = {"rc": "stopped at the deadline", "seconds": round(time.time() - t0, 1)}
            for j in todo:
                status[j["name"]] = {"rc": "not started"}
            break
        for j in list(todo):
            if len(running) >= args.parallel:
                break
            after = j.get("after")
            if after and (after not in status or status[after]["rc"] != 0):
                if after in status and status[after]["rc"] != 0:  # its teacher failed: it cannot run
                    status[j["name"]] = {"rc": f"skipped: {after} failed"}
                    todo.remove(j)
                continue
            todo.remove(j)
            # this interpreter, whatever `python` means on the machine
            j["cmd"] = j["cmd"].replace("accelerate launch", "python -m accelerate.commands.launch") \
                .replace("python ", sys.executable + " ")
            log = open(out / "logs" / f"{j['name']}.log", "w")
            proc = subprocess.Popen(j["cmd"], shell=True, stdout=log, stderr=subprocess.STDOUT, env=os.environ,
                                    start_new_session=True)
            running[j["name"]] = (proc, time.time(), log)
            print(f"[{time.time() - started:5.0f}s] started {j['name']}: {j['cmd']}", flush=True)
        time.sleep(2)
    (out / "study.json").write_text(json.dumps({"seconds": round(time.time() - started, 1), "jobs": status,
                                                "argv": sys.argv}, indent=2) + "\n")
    print(json.dumps(status, indent=1))


if __name__ == "__main__":
    main()
