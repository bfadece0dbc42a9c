// bpmn-js draws only what it can place on the canvas: the shapes of a process that no
// participant of the collaboration references, or a DI edge that names no element, are not
// drawn, and on export its DI ordering rewrites each plane from the drawn elements only, so
// their layout would be lost (BPMN MIWG B.1.0, B.2.0, C.7.0). The model is the process owner's:
// this keeps the diagram interchange elements that were imported but not drawn, and puts them
// back into their plane after the ordering, so open → save keeps the whole layout.

const AFTER_DI_ORDERING = 500;

function KeepUndrawnDi(eventBus, elementRegistry, bpmnjs) {
  let undrawn = [];

  eventBus.on('import.done', () => {
    undrawn = [];
    const definitions = bpmnjs.getDefinitions();
    for (const diagram of (definitions && definitions.get('diagrams')) || []) {
      const plane = diagram.get('plane');
      if (!plane) {
        continue;
      }
      for (const di of plane.get('planeElement')) {
        const element = di.get('bpmnElement');
        if (!element || !elementRegistry.get(element.id)) {
          undrawn.push({ plane, di });
        }
      }
    }
  });

  eventBus.on('saveXML.start', AFTER_DI_ORDERING, () => {
    for (const { plane, di } of undrawn) {
      const elements = plane.get('planeElement');
      if (!elements.includes(di)) {
        elements.push(di);
      }
    }
  });
}

KeepUndrawnDi.$inject = [ 'eventBus', 'elementRegistry', 'bpmnjs' ];

export default {
  __init__: [ 'keepUndrawnDi' ],
  keepUndrawnDi: [ 'type', KeepUndrawnDi ]
};
