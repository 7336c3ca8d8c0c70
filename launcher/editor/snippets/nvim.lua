-- sbx for Neovim: put this in init.lua (or in the project's .nvim.lua with
-- 'exrc' set).

-- :SbxShell opens a terminal in the project's machine, same directory.
vim.api.nvim_create_user_command("SbxShell", function()
  vim.cmd("terminal sbx shell")
end, { desc = "terminal in the project's sbx machine" })

-- :SbxRun CMD... runs one command there, in a terminal buffer.
vim.api.nvim_create_user_command("SbxRun", function(opts)
  vim.cmd("terminal sbx run " .. opts.args)
end, { nargs = "+", complete = "shellcmd", desc = "run a command in the project's sbx machine" })

-- :make builds in the machine; errors land in the quickfix list with host
-- paths (the project is at the same path inside).
vim.opt.makeprg = "sbx run make"

-- A language server in the machine, over stdio (Neovim 0.10+):
-- vim.lsp.start({ name = "clangd", cmd = { "sbx", "run", "clangd" },
--   root_dir = vim.fs.root(0, { ".sandbox" }) })
