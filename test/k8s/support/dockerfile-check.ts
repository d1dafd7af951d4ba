/**
 * The Dockerfile rules hadolint would enforce that matter here (hadolint itself is neither on
 * npm nor in Debian, and needs no Docker only as a downloaded binary, which this machine cannot
 * fetch): base images pinned to at least a minor version or a digest, never `latest` (DL3006,
 * DL3007); `npm ci` rather than `npm install` (reproducible installs); the final stage runs as
 * a non-root user (DL3002); no `apt-get install` without pinned versions (DL3008).
 */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const args = new Map<string, string>();
  const stages: string[] = [];
  let lastUser: string | undefined;
  for (const line of lines) {
    const [instruction = "", ...rest] = line.split(/\s+/);
    const argument = rest.join(" ");
    switch (instruction.toUpperCase()) {
      case "ARG": {
        const [name = "", value] = argument.split("=", 2);
        if (value !== undefined) args.set(name, value);
        break;
      }
      case "FROM": {
        const [ref = ""] = argument.split(/\s+/);
        const image = ref.replace(
          /\$\{(\w+)\}|\$(\w+)/g,
          (_, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? "") ?? "",
        );
        lastUser = undefined;
        if (stages.includes(image)) break; // FROM an earlier stage
        const [withTag = "", digest] = image.split("@");
        const tag = withTag.includes(":") ? withTag.slice(withTag.lastIndexOf(":") + 1) : undefined;
        if (digest === undefined && tag === undefined) problems.push(`FROM ${image}: no tag (means latest)`);
        else if (tag === "latest") problems.push(`FROM ${image}: latest`);
        else if (digest === undefined && !/^\d+\.\d+/.test(tag ?? "")) {
          problems.push(`FROM ${image}: tag ${tag} pins no minor version (and there is no digest)`);
        }
        const alias = argument.split(/\s+[Aa][Ss]\s+/)[1];
        if (alias !== undefined) stages.push(alias.trim());
        break;
      }
      case "USER":
        lastUser = argument;
        break;
      case "RUN":
        if (/\bnpm (install|i)\b/.test(argument))
          problems.push(`RUN ${argument}: use npm ci (installs the lockfile exactly)`);
        if (/apt-get install/.test(argument) && !/=\S/.test(argument))
          problems.push(`RUN ${argument}: pin apt package versions`);
        break;
    }
  }
  if (lastUser === undefined || /^(root|0)(:|$)/.test(lastUser))
    problems.push("the final stage runs as root (no USER)");
  return problems;
}

/** Whether every base image carries a digest. */
export function dockerfileDigestsPinned(text: string): boolean {
  const defaults = [...text.matchAll(/^ARG NODE_IMAGE=(\S+)/gm)].map((m) => m[1] ?? "");
  return defaults.length > 0 && defaults.every((image) => image.includes("@sha256:"));
}
