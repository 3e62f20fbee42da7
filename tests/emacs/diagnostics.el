;;; diagnostics.el --- punie-lsp in a real Emacs through eglot, headless  -*- lexical-binding: t -*-
;; emacs --batch -Q -l diagnostics.el FILE
;; Uses the configuration docs/editors.md gives (with the model off, for speed); prints "MESSAGE@LINE" (0-based) per Flymake
;; diagnostic eglot received once at least four arrived, else the event log and exits 1.

(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*"))
  (add-to-list 'load-path dir))  ; Debian's elpa-eglot and its dependencies; -Q skips site-start
(require 'eglot)
(require 'python)

;; The configuration from docs/editors.md.
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '(python-mode . ("punie-lsp" "serve"
                                :initializationOptions (:model (:enabled :json-false))))))

(let* ((file (car command-line-args-left))
       (buffer (find-file-noselect file))
       (deadline (+ (float-time) 60))
       found)
  (with-current-buffer buffer
    (python-mode)
    (eglot-ensure)
    ;; eglot-ensure connects from post-command-hook, which batch mode never runs.
    (run-hooks 'post-command-hook)
    (while (and (< (float-time) deadline) (< (length (flymake-diagnostics)) 4))
      (accept-process-output nil 0.1)
      ;; Flymake starts its backends from idle timers, which batch mode never runs.
      (when (and (eglot-managed-p) (not (flymake-running-backends)))
        (flymake-start)))
    (setq found (and (>= (length (flymake-diagnostics)) 4) (flymake-diagnostics)))
    (dolist (d found)
      (princ (format "%s@%d\n"
                     (replace-regexp-in-string "\n.*" "" (flymake-diagnostic-text d))
                     (1- (line-number-at-pos (flymake-diagnostic-beg d))))))
    (when (and (not found) (eglot-current-server))  ; what went wrong, for the test's message
      (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
        (princ (buffer-string))))
    (when (eglot-current-server)
      (eglot-shutdown (eglot-current-server)))
    (kill-emacs (if found 0 1))))
