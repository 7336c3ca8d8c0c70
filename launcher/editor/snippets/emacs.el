;; sbx for Emacs: put this in init.el.

;; vterm's shell is the project's machine, same directory.
(setq vterm-shell "sbx shell")

;; M-x compile builds in the machine; error paths are host paths (the
;; project is at the same path inside), so next-error opens them.
(setq compile-command "sbx run make ")

;; A language server in the machine with eglot, over stdio:
;; (with-eval-after-load 'eglot
;;   (add-to-list 'eglot-server-programs
;;                '((c-mode c++-mode c-ts-mode c++-ts-mode) . ("sbx" "run" "clangd"))))
