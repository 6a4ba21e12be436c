#!/usr/bin/env bash
# Packs the three libraries into one local folder, restores a fresh web project from it (as a user would; the two
# OpenTelemetry packages one guide block uses come from the configured feeds), and builds every ```csharp block of
# README.md in that project: usings hoisted, the blocks in order as top-level statements, with Prelude.cs.txt
# (builder, app, queue, TryTakeBatch, RunBatch) before them and Types.cs.txt after; and every block of docs/guide.md,
# each as a method of a class whose fields (GuidePlaceholders.cs.txt) are the names it assumes.
# Fails on any restore or compile error. Run by .ci/run (one test). Usage: bash samples/ReadmeSnippets/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for p in Abstractions "" Hosting; do
  dotnet pack "src/BatchStats.Fast${p:+.$p}" -c Release -o "$work/packages" -v q -nologo >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; echo "readme-snippets: pack failed"; exit 1; }
done
# The README's dependency list is the truth: every dependency in a nuspec is named in its "Dependencies:" paragraph.
for pkg in "$work"/packages/*.nupkg; do
  id=$(basename "$pkg" | sed 's/\.[0-9][0-9.]*\.nupkg$//')
  for dep in $(unzip -p "$pkg" "$id.nuspec" | grep -oE '(dependency id|frameworkReference name)="[^"]+"' | sed 's/.*="\(.*\)"/\1/'); do
    sed -n '/^Dependencies:/,/^$/p' README.md | tr '\n' ' ' | grep -qF "$dep" || { echo "readme-snippets: README's dependency list lacks $dep (a dependency of $id)"; exit 1; }
  done
done
version=$(ls "$work/packages" | sed -n 's/^BatchStats\.Fast\.Hosting\.\([0-9][^/]*\)\.nupkg$/\1/p' | head -1)
mkdir "$work/consumer"
cat >"$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="BatchStats.Fast.Hosting" Version="$version" />
    <!-- docs/guide.md shows the OpenTelemetry SDK's Prometheus exporter over the hosted meter -->
    <PackageReference Include="OpenTelemetry.Extensions.Hosting" Version="1.20.1" />
    <PackageReference Include="OpenTelemetry.Exporter.Prometheus.AspNetCore" Version="1.20.1-beta.1" />
  </ItemGroup>
</Project>
XML
cat >"$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/packages" />
  </packageSources>
</configuration>
XML
python3 - "$work/consumer/Program.cs" samples/ReadmeSnippets/Prelude.cs.txt samples/ReadmeSnippets/Types.cs.txt <<'PY'
import re, sys
out, prelude, types = sys.argv[1:4]
blocks = re.findall(r"```csharp\n(.*?)```", open("README.md").read(), re.S)
usings, body = [], []
for block in blocks:
    for line in block.splitlines():
        (usings if re.match(r"^using [A-Za-z0-9_.]+;$", line) else body).append(line)
text = "\n".join(dict.fromkeys(usings)) + "\n" + open(prelude).read() + "\n".join(body) + "\n" + open(types).read()
open(out, "w").write(text)
print(f"readme-snippets: {len(blocks)} C# blocks from README.md")
PY
# docs/guide.md's blocks too, each as a method of its own (they declare the same names as one another and as the
# README's), with GuidePlaceholders.cs.txt declaring the names they assume.
python3 - "$work/consumer/Guide.cs" samples/ReadmeSnippets/GuidePlaceholders.cs.txt <<'PY'
import re, sys
out, placeholders = sys.argv[1:3]
blocks = re.findall(r"```csharp\n(.*?)```", open("docs/guide.md").read(), re.S)
usings = ["using BatchStats.Fast;", "using System.Diagnostics.Metrics;"]
methods = []
for n, block in enumerate(blocks, 1):
    lines = block.splitlines()
    usings += [l for l in lines if re.match(r"^using [A-Za-z0-9_.]+;$", l)]
    body = [l for l in lines if not re.match(r"^using [A-Za-z0-9_.]+;$", l)]
    methods.append(f"    static async Task Block{n}()\n    {{\n        await Task.CompletedTask;\n" + "\n".join("        " + l for l in body) + "\n    }\n")
text = "\n".join(dict.fromkeys(usings)) + "\n\nstatic class GuideSnippets\n{\n" + open(placeholders).read() + "\n" + "\n".join(methods) + "}\n"
open(out, "w").write(text)
print(f"readme-snippets: {len(blocks)} C# blocks from docs/guide.md")
PY
# A package cache of its own: the packages are always version 0.1.0, so a shared cache would keep serving the ones
# restored on an earlier run of this script, and the blocks would be compiled against stale code.
if (cd "$work/consumer" && NUGET_PACKAGES="$work/nuget-cache" dotnet build -nologo -v q >"$work/build.log" 2>&1); then
  echo "readme-snippets: OK (restored BatchStats.Fast.Hosting $version and its dependencies from the packed folder; every block compiles)"
else
  grep -E "error" "$work/build.log" | head -20; echo "readme-snippets: FAILED"; exit 1
fi
