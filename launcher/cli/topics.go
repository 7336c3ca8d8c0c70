package cli

// helpTopicText are the `sbx help TOPIC` pages that are not commands.
var helpTopicText = map[string]string{
	"editors": editorsTopic,
	"exit-codes": `Exit statuses of sbx

  N      sbx run/shell: the command's own exit status, passed through
  128+N  the command was killed by signal N (130 = SIGINT, 143 = SIGTERM), or
         sbx on a terminal got SIGTERM/SIGHUP and hung up the session as ssh does
  127    the command was not found in the machine (sbx run then names the
         Debian package that has it, and how to add it)
  126    the command was found but could not be executed
  125    sbx itself failed (the message says why and what to do)
  2      the sbx command line was wrong
  1      a question was answered no (sbx rm), or sbx trust status: not allowed

A failing Setup= command makes sbx create exit with that command's status.
`,
	"sandbox": `The .sandbox file

sbx init writes one with every key explained, and Packages= (Setup=,
Environment=) set for the build files it finds in the project. The format is INI like
systemd's .nspawn files. Sections and keys:

  [Machine] Name= Distribution= Release= Mirror= Packages= Hostname= StopWhenIdle=
  [Exec]    Setup= Shell= Environment= PassEnvironment=
  [Files]   Bind= BindReadOnly=
  [Network] Private=

The file stays the truth after create: edit it, run sbx allow, and the next
sbx run, sbx shell or hook entry applies what changed, saying so in one line.
When each change takes effect:

  Packages=                  added ones installed, removed ones autoremoved
  Setup=                     new (or changed) lines run once, in file order;
                             lines that ran never run again
  Bind= BindReadOnly=        mounted (or unmounted) in the running machine,
                             else at the next start (said so)
  Hostname= StopWhenIdle=    at once
  Shell=                     at once (installed if missing)
  Private=                   at the next start: done at once when nobody else
                             is in the machine, else said (sbx restart)
  Environment= PassEnvironment=  every command
  Distribution= Release= Mirror=  sbx rebuild (a warning until then)

An edit not yet allowed applies nothing. sbx status says whether the machine
is in line with its .sandbox.

See README.md, section ".sandbox reference", for defaults and examples.
`,
}
