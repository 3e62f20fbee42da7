-- :help works for a plugin added by runtimepath: its doc/tags ships with it.
for _, topic in ipairs({ 'punie', ':PunieAsk', ':PunieClearFindings' }) do
  local ok, err = pcall(vim.cmd.help, topic)
  if not ok then
    io.stderr:write('FAIL: :help ' .. topic .. ': ' .. tostring(err) .. '\n')
    os.exit(1)
  end
  print(topic .. ' -> ' .. vim.fn.expand('%:t'))
  vim.cmd.helpclose()
end
os.exit(0)
