// bpmn-js's `translate` service answered from the table the page hands over (English text ->
// the reader's language, app/modeler/diagram_texts.py). bpmn-js fills placeholders such as
// {element} after the lookup, so a translated text keeps them.

export default function translateModule(texts) {
  function translate(template, replacements) {
    const text = (texts && texts[template]) || template;
    return text.replace(/{([^}]+)}/g, (match, key) =>
      replacements && key in replacements ? replacements[key] : match);
  }
  return { translate: [ 'value', translate ] };
}
